//! Reply templates (答复模板): admins keep them per category and finding
//! (`/admin/templates`); a handler drafting a reply picks one that fits the
//! case, fills in its placeholders (the case's own facts are filled in
//! already) and edits the text it gives. The placeholders are the
//! contract's (`shared::workbench::PLACEHOLDERS`): the server refuses any
//! other, and so does this form before sending.

use super::{after_loading, load, say, settings::is_admin};
use crate::format::{finding_label, local_time, named};
use crate::i18n::*;
use crate::lang::use_lang;
use leptos::prelude::*;
use shared::case::Finding;
use shared::report::{Category, CategoryGroup};
use shared::workbench::{
    PLACEHOLDERS, Placeholder, ReplyTemplate, ReplyTemplateInput, TEMPLATE_MAX_CHARS,
    TemplateError, fill_template, template_slots,
};
use std::collections::BTreeMap;

const FINDINGS: [Finding; 3] = [
    Finding::Substantiated,
    Finding::PartlySubstantiated,
    Finding::Unsubstantiated,
];

/// How closely a template's category fits a case: its own category (0),
/// its category group (1, `noise` for every `noise_*`), every category (2);
/// None when it is for another.
fn category_rank(t: &ReplyTemplate, category: &str, group: &str) -> Option<u8> {
    match t.category.as_deref() {
        None => Some(2),
        Some(c) if c == category => Some(0),
        Some(c) if c == group => Some(1),
        Some(_) => None,
    }
}

/// The templates that fit a case — category none, its own or its group;
/// finding none or the one drafted (as the server decides it) — the most
/// specific first: one written for this finding, then by category.
pub fn fitting(
    list: &[ReplyTemplate],
    category: &str,
    group: &str,
    finding: Option<Finding>,
) -> Vec<ReplyTemplate> {
    let mut out: Vec<(u8, ReplyTemplate)> = list
        .iter()
        .filter(|t| t.finding.is_none_or(|f| Some(f) == finding))
        .filter_map(|t| Some((category_rank(t, category, group)?, t.clone())))
        .collect();
    out.sort_by_key(|(rank, t)| (t.finding.is_none(), *rank, t.id));
    out.into_iter().map(|(_, t)| t).collect()
}

pub fn placeholder_label(l: Locale, p: &Placeholder) -> &'static str {
    if l == Locale::zh_CN {
        p.label
    } else {
        p.label_en
    }
}

/// The picker in the draft-reply form: the templates that fit, an input per
/// placeholder, and a button that writes the filled text into the reply,
/// which stays editable. `values` holds the case's own facts (`from_case`
/// placeholders), filled in before the handler sees them.
#[component]
pub fn TemplatePicker(
    category: String,
    group: String,
    values: BTreeMap<String, String>,
    finding: RwSignal<String>,
    reply: RwSignal<String>,
) -> impl IntoView {
    let lang = use_lang();
    let templates = load::<Vec<ReplyTemplate>>(|| "/api/v1/reply-templates".to_owned());
    let category = StoredValue::new((category, group));
    let chosen = RwSignal::new(None::<ReplyTemplate>);
    let slots = RwSignal::new(values);
    let options = move || {
        let list = match templates.get() {
            Some(Ok(list)) => list,
            _ => return vec![],
        };
        let f = Finding::parse(&finding.get());
        category.with_value(|(c, g)| fitting(&list, c, g, f))
    };
    let fill = move || {
        let Some(t) = chosen.get_untracked() else {
            return;
        };
        if let Ok(text) = fill_template(&t.body, &slots.get_untracked()) {
            reply.set(text);
        }
    };
    // The first time the form opens on an empty reply, the best template
    // is taken and filled with what the case already says, so there is a
    // start to edit — as the hard-coded start used to be.
    Effect::new(move |done: Option<bool>| {
        if done == Some(true) {
            return true;
        }
        let Some(Ok(_)) = templates.get() else {
            return false;
        };
        if reply.get_untracked().trim().is_empty()
            && let Some(first) = options().into_iter().next()
        {
            chosen.set(Some(first));
            fill();
        }
        true
    });
    let pick = move |ev: leptos::ev::Event| {
        let id = event_target_value(&ev).parse::<i64>().ok();
        chosen.set(id.and_then(|id| options().into_iter().find(|t| t.id == id)));
    };
    let inputs = move || {
        let l = lang.get();
        let t = chosen.get()?;
        let mut wanted = template_slots(&t.body).unwrap_or_default();
        // What the handler must type first; the case's own facts, filled in
        // already, after.
        wanted.sort_by_key(|p| p.from_case);
        if wanted.is_empty() {
            return None;
        }
        Some(view! {
            <fieldset class="template-slots" id="template-slots">
                <legend>{td_string!(l, adm_template_fill_in)}</legend>
                {wanted.into_iter().map(|p| {
                    let name = p.name;
                    let id = format!("slot-{name}");
                    view! {
                        <div class="field template-slot" class:from-case=p.from_case data-slot=name>
                            <label for=id.clone()>{placeholder_label(l, p)}</label>
                            <input id=id type="text" prop:value=move || slots.with(|s| s.get(name).cloned().unwrap_or_default())
                                on:input=move |ev| {
                                    let v = event_target_value(&ev);
                                    slots.update(|s| { s.insert(name.to_owned(), v); });
                                } />
                        </div>
                    }
                }).collect_view()}
            </fieldset>
        })
    };
    view! {
        <div class="template-picker">
            <div class="field"><label for="template-pick">{move || td_string!(lang.get(), adm_template)}</label>
                <select id="template-pick" on:change=pick
                    prop:value=move || chosen.with(|c| c.as_ref().map(|t| t.id.to_string()).unwrap_or_default())>
                    <option value="">{move || td_string!(lang.get(), adm_template_none)}</option>
                    {move || options().into_iter().map(|t| view! {
                        <option value=t.id.to_string()>{t.title.clone()}</option>
                    }).collect_view()}
                </select></div>
            {inputs}
            {move || chosen.get().is_some().then(|| view! {
                <p><button type="button" class="button small" id="template-fill" on:click=move |_| fill()>
                    {move || td_string!(lang.get(), adm_template_apply)}
                </button></p>
                <p class="hint">{move || td_string!(lang.get(), adm_template_apply_hint)}</p>
            })}
        </div>
    }
}

/// The categories by group, in the catalogue's order.
fn groups(list: &[Category]) -> Vec<(CategoryGroup, Vec<Category>)> {
    let mut out: Vec<(CategoryGroup, Vec<Category>)> = Vec::new();
    for c in list {
        match out.iter_mut().find(|(g, _)| g.code == c.group.code) {
            Some((_, cats)) => cats.push(c.clone()),
            None => out.push((c.group.clone(), vec![c.clone()])),
        }
    }
    out
}

/// The form's fields, kept while an admin writes a template.
#[derive(Clone, Copy)]
struct Draft {
    /// The template being edited: None for a new one.
    editing: RwSignal<Option<i64>>,
    category: RwSignal<String>,
    finding: RwSignal<String>,
    title: RwSignal<String>,
    body: RwSignal<String>,
}

impl Draft {
    fn new() -> Self {
        Self {
            editing: RwSignal::new(None),
            category: RwSignal::new(String::new()),
            finding: RwSignal::new(String::new()),
            title: RwSignal::new(String::new()),
            body: RwSignal::new(String::new()),
        }
    }

    fn clear(self) {
        self.editing.set(None);
        self.category.set(String::new());
        self.finding.set(String::new());
        self.title.set(String::new());
        self.body.set(String::new());
    }

    fn edit(self, t: &ReplyTemplate) {
        self.editing.set(Some(t.id));
        self.category.set(t.category.clone().unwrap_or_default());
        self.finding
            .set(t.finding.map(|f| f.as_str().to_owned()).unwrap_or_default());
        self.title.set(t.title.clone());
        self.body.set(t.body.clone());
    }

    fn input(self) -> ReplyTemplateInput {
        let category = self.category.get_untracked();
        ReplyTemplateInput {
            category: Some(category).filter(|c| !c.is_empty()),
            finding: Finding::parse(&self.finding.get_untracked()),
            title: self.title.get_untracked().trim().to_owned(),
            body: self.body.get_untracked(),
        }
    }
}

/// What a change to the list asks the server.
#[derive(Clone)]
enum Change {
    Save(Option<i64>, ReplyTemplateInput),
    Delete(i64),
}

/// `/admin/templates`: the list, and the form to add or edit one.
#[component]
pub fn AdminTemplates() -> impl IntoView {
    let lang = use_lang();
    let reload = RwSignal::new(0u32);
    let templates = load::<Vec<ReplyTemplate>>(move || {
        reload.track();
        "/api/v1/reply-templates".to_owned()
    });
    let categories = load::<Vec<Category>>(|| "/api/v1/categories".to_owned());
    let draft = Draft::new();
    // Deleting asks once more, on the same button.
    let confirm = RwSignal::new(None::<i64>);
    let change = Action::new_local(move |c: &Change| {
        let c = c.clone();
        async move {
            use crate::browser::http::send_json;
            let got = match &c {
                Change::Save(Some(id), input) => send_json::<ReplyTemplate>(
                    "PUT",
                    &format!("/api/v1/reply-templates/{id}"),
                    &[],
                    input,
                )
                .await
                .map(|_| ()),
                Change::Save(None, input) => {
                    send_json::<ReplyTemplate>("POST", "/api/v1/reply-templates", &[], input)
                        .await
                        .map(|_| ())
                }
                Change::Delete(id) => {
                    send_json::<()>("DELETE", &format!("/api/v1/reply-templates/{id}"), &[], &())
                        .await
                }
            }
            .map_err(|e| say(&e));
            if got.is_ok() {
                if matches!(c, Change::Save(..)) {
                    draft.clear();
                }
                confirm.set(None);
                reload.update(|n| *n += 1);
            }
            got
        }
    });
    let error = move || change.value().get().and_then(Result::err);
    // Checked here as the server checks it, so an unknown placeholder shows
    // while typing; the server's answer (422) is shown too.
    let check = move || {
        let l = lang.get();
        draft.body.with(|b| {
            if b.chars().count() > TEMPLATE_MAX_CHARS {
                return Some(format!("{} / {TEMPLATE_MAX_CHARS}", b.chars().count()));
            }
            template_slots(b).err().map(|e| match e {
                TemplateError::Unknown(name) => {
                    format!("{} {{{{{name}}}}}", td_string!(l, adm_template_unknown))
                }
                TemplateError::Unclosed => td_string!(l, adm_template_unclosed).to_owned(),
            })
        })
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        change.dispatch_local(Change::Save(draft.editing.get_untracked(), draft.input()));
    };
    let category_name = move |l: Locale, code: &Option<String>, list: &[Category]| match code {
        None => td_string!(l, adm_template_any_category).to_owned(),
        Some(code) => list
            .iter()
            .find(|c| &c.code == code)
            .map(|c| named(l, &c.name, &c.name_en))
            .or_else(|| {
                list.iter().find(|c| &c.group.code == code).map(|c| {
                    let group = named(l, &c.group.name, &c.group.name_en);
                    format!("{group}{}", td_string!(l, adm_template_group_all))
                })
            })
            .unwrap_or_else(|| code.clone()),
    };
    let admin = is_admin();

    let form = move || {
        let l = lang.get();
        view! {
            <section class="card template-editor">
                <h2>{if draft.editing.get().is_some() { td_string!(l, adm_template_edit) } else { td_string!(l, adm_template_new) }}</h2>
                <form id="template-form" on:submit=save>
                    <div class="field"><label for="template-category">{td_string!(l, fact_category)}</label>
                        <select id="template-category" prop:value=move || draft.category.get()
                            on:change=move |ev| draft.category.set(event_target_value(&ev))>
                            <option value="">{td_string!(l, adm_template_any_category)}</option>
                            // Each group, for all its categories, then its categories.
                            {move || match categories.get() {
                                Some(Ok(list)) => groups(&list).into_iter().map(|(g, cats)| {
                                    let label = named(l, &g.name, &g.name_en);
                                    view! {
                                        <optgroup label=label.clone()>
                                            <option value=g.code.clone()>{format!("{label}{}", td_string!(l, adm_template_group_all))}</option>
                                            {cats.into_iter().map(|c| view! {
                                                <option value=c.code.clone()>{named(l, &c.name, &c.name_en)}</option>
                                            }).collect_view()}
                                        </optgroup>
                                    }
                                }).collect_view().into_any(),
                                _ => ().into_any(),
                            }}
                        </select></div>
                    <div class="field"><label for="template-finding">{td_string!(l, adm_finding)}</label>
                        <select id="template-finding" prop:value=move || draft.finding.get()
                            on:change=move |ev| draft.finding.set(event_target_value(&ev))>
                            <option value="">{td_string!(l, adm_template_any_finding)}</option>
                            {FINDINGS.into_iter().map(|f| view! { <option value=f.as_str()>{finding_label(l, f)}</option> }).collect_view()}
                        </select></div>
                    <div class="field"><label for="template-title">{td_string!(l, adm_notice_title)}</label>
                        <input id="template-title" type="text" required=true maxlength="80" prop:value=move || draft.title.get()
                            on:input=move |ev| draft.title.set(event_target_value(&ev)) /></div>
                    <div class="field"><label for="template-body">{td_string!(l, adm_template_body)}</label>
                        <textarea id="template-body" rows="6" required=true prop:value=move || draft.body.get()
                            on:input=move |ev| draft.body.set(event_target_value(&ev))></textarea>
                        <p class="counter"><span>{td_string!(l, adm_template_placeholders_hint)}</span>
                            <span>{move || format!("{} / {TEMPLATE_MAX_CHARS}", draft.body.with(|b| b.chars().count()))}</span></p>
                        {move || check().map(|e| view! { <p class="field-error" id="template-check">{e}</p> })}
                    </div>
                    // The known placeholders: a tap adds one at the end of the text.
                    <ul class="placeholders" id="placeholders">
                        {PLACEHOLDERS.iter().map(|p| {
                            let name = p.name;
                            view! {
                                <li><button type="button" class="chip" data-placeholder=name
                                    on:click=move |_| draft.body.update(|b| { b.push_str("{{"); b.push_str(name); b.push_str("}}"); })>
                                    <code>{format!("{{{{{name}}}}}")}</code> " " {placeholder_label(l, p)}
                                    {p.from_case.then(|| view! { " " <span class="muted small">{td_string!(l, adm_template_from_case)}</span> })}
                                </button></li>
                            }
                        }).collect_view()}
                    </ul>
                    {move || error().map(|e| view! { <p class="field-error" role="alert" id="template-error">{e}</p> })}
                    <p>
                        <button type="submit" class="button primary" id="template-save" disabled=move || change.pending().get()>
                            {td_string!(l, adm_save)}
                        </button>
                        " "
                        <button type="button" class="button" on:click=move |_| draft.clear()>{td_string!(l, adm_cancel)}</button>
                    </p>
                </form>
            </section>
        }
    };

    let list = move || {
        let l = lang.get();
        let cats = categories.get().and_then(Result::ok).unwrap_or_default();
        match templates.get() {
            None => view! { <p class="muted" role="status">{td_string!(l, loading)}</p> }.into_any(),
            Some(Err(e)) => view! { <p class="field-error" role="alert">{e}</p> }.into_any(),
            Some(Ok(list)) if list.is_empty() => {
                view! { <p class="muted" id="templates-empty">{td_string!(l, adm_templates_none)}</p> }.into_any()
            }
            Some(Ok(list)) => view! {
                <ul class="template-list" id="template-list">
                    {list.into_iter().map(|t| {
                        let id = t.id;
                        let for_edit = t.clone();
                        view! {
                            <li class="card template" data-id=id.to_string()>
                                <h2>{t.title.clone()}</h2>
                                <p class="template-fits">
                                    <span class="tag">{category_name(l, &t.category, &cats)}</span> " "
                                    <span class="tag">{t.finding.map(|f| finding_label(l, f)).unwrap_or(td_string!(l, adm_template_any_finding))}</span>
                                </p>
                                <p class="template-body">{t.body.clone()}</p>
                                <p class="muted small">{t.updated_by.clone()} " · " {local_time(&t.updated_at)}</p>
                                {admin.then(|| view! {
                                    <p class="template-buttons">
                                        <button type="button" class="button small" data-edit=id.to_string() on:click=move |_| {
                                            draft.edit(&for_edit);
                                            crate::browser::scroll_to("template-form");
                                        }>{td_string!(l, adm_edit)}</button>
                                        " "
                                        <button type="button" class="button small" data-delete=id.to_string()
                                            class:primary=move || confirm.get() == Some(id)
                                            on:click=move |_| {
                                                if confirm.get_untracked() == Some(id) {
                                                    change.dispatch_local(Change::Delete(id));
                                                } else {
                                                    confirm.set(Some(id));
                                                }
                                            }>
                                            {move || if confirm.get() == Some(id) { td_string!(l, adm_delete_confirm) } else { td_string!(l, adm_delete) }}
                                        </button>
                                    </p>
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }
            .into_any(),
        }
    };

    view! {
        <h1>{move || td_string!(lang.get(), adm_templates)}</h1>
        <p class="lead">{move || td_string!(lang.get(), adm_templates_lead)}</p>
        // The list first (what a reader came for), the form beside it on a
        // desktop and after it on a phone.
        <div class="templates-layout">
            <div>{list}</div>
            {admin.then(|| after_loading(templates, form))}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(id: i64, category: Option<&str>, finding: Option<Finding>) -> ReplyTemplate {
        ReplyTemplate {
            id,
            category: category.map(str::to_owned),
            finding,
            title: format!("t{id}"),
            body: String::new(),
            updated_at: String::new(),
            updated_by: String::new(),
        }
    }

    #[test]
    fn the_templates_that_fit_come_most_specific_first() {
        let list = vec![
            t(1, None, None),
            t(2, Some("noise_construction"), None),
            t(3, Some("noise_construction"), Some(Finding::Substantiated)),
            t(4, Some("water_outfall"), None),
            t(5, None, Some(Finding::Unsubstantiated)),
            t(6, Some("noise"), None),
            t(7, Some("water"), None),
        ];
        let ids = |f| {
            fitting(&list, "noise_construction", "noise", f)
                .iter()
                .map(|t| t.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(Some(Finding::Substantiated)), [3, 2, 6, 1]);
        assert_eq!(ids(Some(Finding::Unsubstantiated)), [5, 2, 6, 1]);
    }
}
