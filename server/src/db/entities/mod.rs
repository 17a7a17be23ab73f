//! sea-orm entities, one per table (see `migrations/`).

pub mod api_key;
pub mod app_user;
pub mod area;
pub mod audit_log;
pub mod case;
pub mod case_event;
pub mod category;
pub mod category_group;
pub mod department;
pub mod enterprise_disclosure;
pub mod idempotency;
pub mod indicator;
pub mod notice;
pub mod photo;
pub mod quiet_period;
pub mod report;
pub mod reporter_identity;
pub mod reward;
pub mod reward_exclusion;
pub mod reward_payment;
pub mod reward_tier;
pub mod routing_rule;
pub mod sign_in_throttle;
pub mod staff_session;
pub mod webhook_outbox;
