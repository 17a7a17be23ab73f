//! The category catalogue (举报类别目录, `/admin/categories`): every group
//! and category, retired ones too, with its version and how many cases it
//! holds; admins add, edit, retire, reinstate and delete categories and add
//! groups. A saved change to a definition becomes the next version, and
//! reports filed under an earlier one keep it (the server's rule,
//! `shared::catalogue`). The form checks a definition as the server does
//! (`check_definition`), so each problem shows before sending.

use super::{after_loading, load, say, settings::is_admin};
use crate::format::{local_time, named};
use crate::i18n::*;
use crate::lang::use_lang;
use leptos::prelude::*;
use shared::catalogue::{
    Catalogue, CatalogueEntry, CategoryDefinition, CategoryUpdate, CategoryVersion,
    GroupDefinition, ICONS, NewCategory, RADIUS_MAX_M, RADIUS_MIN_M, check_definition,
};
use shared::report::{Choice, Datatype, Question};

const DATATYPES: [(Datatype, &str); 6] = [
    (Datatype::Singlevaluelist, "singlevaluelist"),
    (Datatype::Multivaluelist, "multivaluelist"),
    (Datatype::String, "string"),
    (Datatype::Text, "text"),
    (Datatype::Number, "number"),
    (Datatype::Datetime, "datetime"),
];

fn datatype_name(d: Datatype) -> &'static str {
    DATATYPES
        .iter()
        .find(|(t, _)| *t == d)
        .map_or("string", |(_, n)| n)
}

fn datatype_label(l: Locale, d: Datatype) -> &'static str {
    match d {
        Datatype::Singlevaluelist => td_string!(l, adm_cat_single),
        Datatype::Multivaluelist => td_string!(l, adm_cat_multi),
        Datatype::String => td_string!(l, adm_cat_string),
        Datatype::Text => td_string!(l, adm_cat_text),
        Datatype::Number => td_string!(l, adm_cat_number),
        Datatype::Datetime => td_string!(l, adm_cat_datetime),
    }
}

/// A question as the form holds it: its choices as lines of
/// `key | 名称 | Name`, which is how an admin writes them quickest.
#[derive(Clone, Debug, Default, PartialEq)]
struct QuestionDraft {
    code: String,
    datatype: Option<Datatype>,
    required: bool,
    name: String,
    name_en: String,
    choices: String,
}

impl QuestionDraft {
    fn of(q: &Question) -> Self {
        QuestionDraft {
            code: q.code.clone(),
            datatype: Some(q.datatype),
            required: q.required,
            name: q.name.clone(),
            name_en: q.name_en.clone(),
            choices: q
                .values
                .iter()
                .map(|c| format!("{} | {} | {}", c.key, c.name, c.name_en))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    fn question(&self, order: u32) -> Question {
        Question {
            code: self.code.trim().to_owned(),
            datatype: self.datatype.unwrap_or(Datatype::String),
            required: self.required,
            name: self.name.clone(),
            name_en: self.name_en.clone(),
            order,
            values: parse_choices(&self.choices),
        }
    }
}

/// `key | 名称 | Name`, one per line; a missing part stays empty (and the
/// check says so).
fn parse_choices(text: &str) -> Vec<Choice> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let mut parts = line.split('|').map(str::trim);
            Choice {
                key: parts.next().unwrap_or_default().to_owned(),
                name: parts.next().unwrap_or_default().to_owned(),
                name_en: parts.next().unwrap_or_default().to_owned(),
            }
        })
        .collect()
}

/// The form: a new category (`editing` none) or the next version of one.
#[derive(Clone, Copy)]
struct Draft {
    editing: RwSignal<Option<(String, u32, bool)>>,
    code: RwSignal<String>,
    group: RwSignal<String>,
    name: RwSignal<String>,
    name_en: RwSignal<String>,
    icon: RwSignal<String>,
    rewardable: RwSignal<bool>,
    radius: RwSignal<String>,
    sort_order: RwSignal<String>,
    questions: RwSignal<Vec<QuestionDraft>>,
}

impl Draft {
    fn new() -> Self {
        Draft {
            editing: RwSignal::new(None),
            code: RwSignal::new(String::new()),
            group: RwSignal::new(String::new()),
            name: RwSignal::new(String::new()),
            name_en: RwSignal::new(String::new()),
            icon: RwSignal::new("other".to_owned()),
            rewardable: RwSignal::new(false),
            radius: RwSignal::new("1000".to_owned()),
            sort_order: RwSignal::new("0".to_owned()),
            questions: RwSignal::new(Vec::new()),
        }
    }

    fn clear(&self) {
        self.editing.set(None);
        self.code.set(String::new());
        self.name.set(String::new());
        self.name_en.set(String::new());
        self.icon.set("other".to_owned());
        self.rewardable.set(false);
        self.radius.set("1000".to_owned());
        self.sort_order.set("0".to_owned());
        self.questions.set(Vec::new());
    }

    fn edit(&self, e: &CatalogueEntry) {
        let d = &e.definition;
        self.editing
            .set(Some((e.code.clone(), e.version, e.active)));
        self.code.set(e.code.clone());
        self.group.set(d.group.clone());
        self.name.set(d.name.clone());
        self.name_en.set(d.name_en.clone());
        self.icon.set(d.icon.clone());
        self.rewardable.set(d.rewardable);
        self.radius.set(d.duplicate_radius_m.to_string());
        self.sort_order.set(d.sort_order.to_string());
        self.questions
            .set(d.questions.iter().map(QuestionDraft::of).collect());
    }

    fn definition(&self) -> CategoryDefinition {
        CategoryDefinition {
            group: self.group.get(),
            name: self.name.get(),
            name_en: self.name_en.get(),
            icon: self.icon.get(),
            rewardable: self.rewardable.get(),
            duplicate_radius_m: self.radius.get().trim().parse().unwrap_or(0),
            sort_order: self.sort_order.get().trim().parse().unwrap_or(0),
            questions: self.questions.with(|qs| {
                qs.iter()
                    .zip(1u32..)
                    .map(|(q, order)| q.question(order))
                    .collect()
            }),
        }
    }
}

#[derive(Clone)]
enum Change {
    Create(NewCategory),
    Update(String, CategoryUpdate),
    Delete(String),
    Group(String, GroupDefinition),
}

#[component]
pub fn AdminCatalogue() -> impl IntoView {
    let lang = use_lang();
    let reload = RwSignal::new(0u32);
    let catalogue = load::<Catalogue>(move || {
        reload.track();
        "/api/v1/admin/categories".to_owned()
    });
    let admin = is_admin();
    let draft = Draft::new();
    let confirm = RwSignal::new(None::<String>);
    let history = RwSignal::new(None::<(String, Vec<CategoryVersion>)>);
    let change = Action::new_local(move |c: &Change| {
        let c = c.clone();
        async move {
            use crate::browser::http::send_json;
            let sent = match &c {
                Change::Create(new) => {
                    send_json::<CatalogueEntry>("POST", "/api/v1/categories", &[], new)
                        .await
                        .map(|_| ())
                }
                Change::Update(code, update) => send_json::<CatalogueEntry>(
                    "PUT",
                    &format!("/api/v1/categories/{code}"),
                    &[],
                    update,
                )
                .await
                .map(|_| ()),
                Change::Delete(code) => {
                    send_json::<()>("DELETE", &format!("/api/v1/categories/{code}"), &[], &()).await
                }
                Change::Group(code, g) => send_json::<serde_json::Value>(
                    "PUT",
                    &format!("/api/v1/categories/groups/{code}"),
                    &[],
                    g,
                )
                .await
                .map(|_| ()),
            }
            .map_err(|e| say(&e));
            if sent.is_ok() {
                if matches!(c, Change::Create(_) | Change::Update(..)) {
                    draft.clear();
                }
                confirm.set(None);
                reload.update(|n| *n += 1);
            }
            sent
        }
    });
    let error = move || change.value().get().and_then(Result::err);
    let show_versions = move |code: String| {
        leptos::task::spawn_local(async move {
            let url = format!("/api/v1/categories/{code}/versions");
            if let Ok(list) =
                crate::browser::http::get_json::<Vec<CategoryVersion>>(&url, &[]).await
            {
                history.set(Some((code, list)));
            }
        });
    };
    // Retiring or reinstating sends the definition unchanged.
    let toggle = move |e: &CatalogueEntry| {
        Change::Update(
            e.code.clone(),
            CategoryUpdate {
                version: e.version,
                active: !e.active,
                definition: e.definition.clone(),
            },
        )
    };

    let list = move || {
        let l = lang.get();
        match catalogue.get() {
            None => view! { <p class="muted" role="status">{td_string!(l, loading)}</p> }.into_any(),
            Some(Err(e)) => view! { <p class="field-error" role="alert">{e}</p> }.into_any(),
            Some(Ok(c)) => c.groups.iter().map(|g| {
                let items: Vec<CatalogueEntry> = c.categories.iter().filter(|e| e.definition.group == g.code).cloned().collect();
                view! {
                    <section class="catalogue-group" data-group=g.code.clone()>
                        <h2>{named(l, &g.name, &g.name_en)} " " <code class="muted small">{g.code.clone()}</code></h2>
                        <ul class="catalogue-list">
                            {items.into_iter().map(|e| {
                                let code = e.code.clone();
                                let (for_edit, for_toggle) = (e.clone(), toggle(&e));
                                let (delete_code, versions_code) = (code.clone(), code.clone());
                                let questions = e.definition.questions.len();
                                view! {
                                    <li class="card catalogue-entry" class:inactive=!e.active data-code=code.clone()>
                                        <h3>{named(l, &e.definition.name, &e.definition.name_en)}</h3>
                                        <p class="catalogue-facts">
                                            <code>{code.clone()}</code> " "
                                            <span class="tag">{format!("v{}", e.version)}</span> " "
                                            {e.definition.rewardable.then(|| view! { <span class="tag reward-badge">{td_string!(l, rewardable)}</span> " " })}
                                            {(!e.active).then(|| view! { <span class="tag retired">{td_string!(l, adm_cat_retired)}</span> " " })}
                                            <span class="muted small">
                                                {format!("{} {} · {} {} · {} m", e.cases, td_string!(l, adm_cat_cases), questions, td_string!(l, adm_cat_questions_n), e.definition.duplicate_radius_m)}
                                            </span>
                                        </p>
                                        <p class="catalogue-buttons">
                                            <button type="button" class="button small" on:click=move |_| show_versions(versions_code.clone())>
                                                {td_string!(l, adm_cat_versions)}
                                            </button>
                                            {admin.then(|| view! {
                                                " "
                                                <button type="button" class="button small" data-edit=code.clone() on:click=move |_| {
                                                    draft.edit(&for_edit);
                                                    crate::browser::scroll_to("catalogue-form");
                                                }>{td_string!(l, adm_edit)}</button>
                                                " "
                                                <button type="button" class="button small" data-toggle=code.clone()
                                                    on:click=move |_| { change.dispatch_local(for_toggle.clone()); }>
                                                    {if e.active { td_string!(l, adm_cat_retire) } else { td_string!(l, adm_cat_reinstate) }}
                                                </button>
                                                // Only what nobody used can go; the rest is retired.
                                                {(e.cases == 0).then(|| {
                                                    let asked = delete_code.clone();
                                                    view! {
                                                        " "
                                                        <button type="button" class="button small" data-delete=code.clone()
                                                            class:primary=move || confirm.get().as_deref() == Some(asked.as_str())
                                                            on:click=move |_| {
                                                                if confirm.get_untracked().as_deref() == Some(delete_code.as_str()) {
                                                                    change.dispatch_local(Change::Delete(delete_code.clone()));
                                                                } else {
                                                                    confirm.set(Some(delete_code.clone()));
                                                                }
                                                            }>
                                                            {let asked = code.clone(); move || if confirm.get().as_deref() == Some(asked.as_str()) { td_string!(l, adm_delete_confirm) } else { td_string!(l, adm_delete) }}
                                                        </button>
                                                    }
                                                })}
                                            })}
                                        </p>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    </section>
                }
            }).collect_view().into_any(),
        }
    };

    let versions = move || {
        let l = lang.get();
        history.get().map(|(code, list)| view! {
            <section class="card catalogue-versions" id="catalogue-versions">
                <h2>{format!("{code} · {}", td_string!(l, adm_cat_versions))}</h2>
                <ol reversed=true>
                    {list.into_iter().map(|v| view! {
                        <li>
                            <strong>{format!("v{}", v.version)}</strong> " "
                            {named(l, &v.definition.name, &v.definition.name_en)} " · "
                            {v.definition.questions.iter().map(|q| q.code.clone()).collect::<Vec<_>>().join(", ")}
                            <span class="muted small">{format!(" · {} · {}", v.created_by, local_time(&v.created_at))}</span>
                        </li>
                    }).collect_view()}
                </ol>
                <button type="button" class="button small" on:click=move |_| history.set(None)>{td_string!(l, adm_cancel)}</button>
            </section>
        })
    };

    let problems = move || check_definition(&draft.definition());
    let shape = Memo::new(move |_| {
        draft
            .questions
            .with(|qs| qs.iter().map(|q| q.datatype).collect::<Vec<_>>())
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !problems().is_empty() {
            return;
        }
        let definition = draft.definition();
        let c = match draft.editing.get_untracked() {
            Some((code, version, active)) => Change::Update(
                code,
                CategoryUpdate {
                    version,
                    active,
                    definition,
                },
            ),
            None => Change::Create(NewCategory {
                code: draft.code.get_untracked().trim().to_owned(),
                definition,
            }),
        };
        change.dispatch_local(c);
    };
    let text = move |id: &'static str, label: String, value: RwSignal<String>| {
        view! {
            <div class="field"><label for=id>{label}</label>
                <input id=id type="text" prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) /></div>
        }
    };
    let question = move |i: usize, q: QuestionDraft| {
        let l = lang.get();
        let set = move |f: &dyn Fn(&mut QuestionDraft)| {
            draft.questions.update(|qs| {
                if let Some(q) = qs.get_mut(i) {
                    f(q);
                }
            })
        };
        let field = move |name: &'static str,
                          label: &'static str,
                          value: String,
                          apply: fn(&mut QuestionDraft, String)| {
            let id = format!("q{i}-{name}");
            view! {
                <div class="field"><label for=id.clone()>{label}</label>
                    <input id=id type="text" prop:value=value on:input=move |ev| {
                        let v = event_target_value(&ev);
                        set(&|q| apply(q, v.clone()));
                    } /></div>
            }
        };
        let is_list = matches!(
            q.datatype,
            Some(Datatype::Singlevaluelist | Datatype::Multivaluelist)
        );
        let chosen = q.datatype.map(datatype_name).unwrap_or("string");
        view! {
            <fieldset class="catalogue-question" data-question=i.to_string()>
                <legend>{format!("{} {}", td_string!(l, adm_cat_question), i + 1)}</legend>
                {field("code", td_string!(l, adm_cat_code), q.code.clone(), |q, v| q.code = v)}
                {field("name", td_string!(l, adm_cat_name_zh), q.name.clone(), |q, v| q.name = v)}
                {field("name-en", td_string!(l, adm_cat_name_en), q.name_en.clone(), |q, v| q.name_en = v)}
                <div class="field"><label for=format!("q{i}-type")>{td_string!(l, adm_cat_answer_type)}</label>
                    <select id=format!("q{i}-type") prop:value=chosen on:change=move |ev| {
                        let v = event_target_value(&ev);
                        let t = DATATYPES.iter().find(|(_, n)| *n == v).map(|(t, _)| *t);
                        set(&|q| q.datatype = t);
                    }>
                        {DATATYPES.iter().map(|(t, n)| view! { <option value=*n selected=*n == chosen>{datatype_label(l, *t)}</option> }).collect_view()}
                    </select></div>
                <label class="check"><input type="checkbox" prop:checked=q.required on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    set(&|q| q.required = on);
                } /> {td_string!(l, adm_cat_required)}</label>
                {is_list.then(|| {
                    let id = format!("q{i}-choices");
                    view! {
                        <div class="field"><label for=id.clone()>{td_string!(l, adm_cat_choices)}</label>
                            <textarea id=id rows="4" prop:value=q.choices.clone() on:input=move |ev| {
                                let v = event_target_value(&ev);
                                set(&|q| q.choices = v.clone());
                            }></textarea>
                            <p class="hint">{td_string!(l, adm_cat_choices_hint)}</p></div>
                    }
                })}
                <button type="button" class="button small" on:click=move |_| draft.questions.update(|qs| { if i < qs.len() { qs.remove(i); } })>
                    {td_string!(l, adm_cat_remove_question)}
                </button>
            </fieldset>
        }
    };
    let form = move || {
        let l = lang.get();
        let groups = catalogue
            .get()
            .and_then(Result::ok)
            .map(|c| c.groups)
            .unwrap_or_default();
        view! {
            <section class="card catalogue-editor">
                <h2>{move || match draft.editing.get() {
                    Some((code, version, _)) => format!("{} {code} → v{}", td_string!(l, adm_edit), version + 1),
                    None => td_string!(l, adm_cat_new).to_owned(),
                }}</h2>
                <p class="hint">{td_string!(l, adm_cat_versions_hint)}</p>
                <form id="catalogue-form" on:submit=save>
                    {move || draft.editing.get().is_none().then(|| text("cat-code", td_string!(l, adm_cat_code).to_owned(), draft.code))}
                    <div class="field"><label for="cat-group">{td_string!(l, adm_cat_group)}</label>
                        <select id="cat-group" prop:value=move || draft.group.get() on:change=move |ev| draft.group.set(event_target_value(&ev))>
                            <option value="">"—"</option>
                            {groups.iter().map(|g| view! { <option value=g.code.clone()>{named(l, &g.name, &g.name_en)}</option> }).collect_view()}
                        </select></div>
                    {text("cat-name", td_string!(l, adm_cat_name_zh).to_owned(), draft.name)}
                    {text("cat-name-en", td_string!(l, adm_cat_name_en).to_owned(), draft.name_en)}
                    <div class="field"><label for="cat-icon">{td_string!(l, adm_cat_icon)}</label>
                        <select id="cat-icon" prop:value=move || draft.icon.get() on:change=move |ev| draft.icon.set(event_target_value(&ev))>
                            {ICONS.iter().map(|i| view! { <option value=*i>{*i}</option> }).collect_view()}
                        </select></div>
                    <label class="check"><input type="checkbox" id="cat-rewardable" prop:checked=move || draft.rewardable.get()
                        on:change=move |ev| draft.rewardable.set(event_target_checked(&ev)) /> {td_string!(l, adm_cat_rewardable)}</label>
                    <div class="field"><label for="cat-radius">{format!("{} ({RADIUS_MIN_M}–{RADIUS_MAX_M} m)", td_string!(l, adm_cat_radius))}</label>
                        <input id="cat-radius" type="number" inputmode="numeric" min=RADIUS_MIN_M max=RADIUS_MAX_M prop:value=move || draft.radius.get()
                            on:input=move |ev| draft.radius.set(event_target_value(&ev)) /></div>
                    {text("cat-sort", td_string!(l, adm_cat_sort).to_owned(), draft.sort_order)}
                    <h3>{td_string!(l, adm_cat_questions)}</h3>
                    // Redrawn when a question is added or removed or changes
                    // its kind of answer, not on each keystroke.
                    {move || {
                        let n = shape.with(Vec::len);
                        (0..n).map(|i| question(i, draft.questions.with_untracked(|qs| qs[i].clone()))).collect_view()
                    }}
                    <p><button type="button" class="button small" id="cat-add-question"
                        on:click=move |_| draft.questions.update(|qs| qs.push(QuestionDraft { datatype: Some(Datatype::Singlevaluelist), ..Default::default() }))>
                        {td_string!(l, adm_cat_add_question)}
                    </button></p>
                    {move || {
                        let found = problems();
                        (!found.is_empty()).then(|| view! {
                            <ul class="field-error" id="catalogue-problems">
                                {found.into_iter().map(|(f, e)| view! { <li>{format!("{f}: {}", e.message)}</li> }).collect_view()}
                            </ul>
                        })
                    }}
                    {move || error().map(|e| view! { <p class="field-error" role="alert" id="catalogue-error">{e}</p> })}
                    <p>
                        <button type="submit" class="button primary" id="catalogue-save" disabled=move || change.pending().get()>{td_string!(l, adm_save)}</button>
                        " "
                        <button type="button" class="button" on:click=move |_| draft.clear()>{td_string!(l, adm_cancel)}</button>
                    </p>
                </form>
            </section>
        }
    };
    let group_code = RwSignal::new(String::new());
    let group_name = RwSignal::new(String::new());
    let group_name_en = RwSignal::new(String::new());
    let add_group = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        change.dispatch_local(Change::Group(
            group_code.get_untracked().trim().to_owned(),
            GroupDefinition {
                name: group_name.get_untracked(),
                name_en: group_name_en.get_untracked(),
                sort_order: 0,
            },
        ));
    };
    let group_form = move || {
        let l = lang.get();
        view! {
            <form class="card admin-form" id="group-form" on:submit=add_group>
                <h2>{td_string!(l, adm_cat_add_group)}</h2>
                {text("group-code", td_string!(l, adm_cat_code).to_owned(), group_code)}
                {text("group-name", td_string!(l, adm_cat_name_zh).to_owned(), group_name)}
                {text("group-name-en", td_string!(l, adm_cat_name_en).to_owned(), group_name_en)}
                <button type="submit" class="button">{td_string!(l, adm_save)}</button>
            </form>
        }
    };

    view! {
        <h1>{move || td_string!(lang.get(), adm_catalogue)}</h1>
        <p class="lead">{move || td_string!(lang.get(), adm_catalogue_lead)}</p>
        {versions}
        <div class="templates-layout">
            <div>{list}</div>
            {admin.then(|| after_loading(catalogue, move || view! { <div>{form}{group_form}</div> }))}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_are_read_a_line_each_and_written_back_alike() {
        let choices = parse_choices("pump | 水泵 | Pump\n\n fan|风机|Fan \nodd");
        assert_eq!(choices.len(), 3);
        assert_eq!(
            (
                choices[1].key.as_str(),
                choices[1].name.as_str(),
                choices[1].name_en.as_str()
            ),
            ("fan", "风机", "Fan")
        );
        assert_eq!(
            choices[2].name, "",
            "a missing part stays empty for the check to name"
        );
        let q = QuestionDraft {
            code: "equipment".to_owned(),
            datatype: Some(Datatype::Singlevaluelist),
            required: true,
            name: "设备".to_owned(),
            name_en: "Equipment".to_owned(),
            choices: "pump | 水泵 | Pump".to_owned(),
        };
        assert_eq!(QuestionDraft::of(&q.question(1)), q);
    }
}
