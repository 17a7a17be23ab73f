//! Staff accounts (工作人员账号).

pub mod password;
mod service;

pub use service::{NewUser, User, UserError, create};
