//! The buy window's and the back office's HTML: pages and their translations, rendered on
//! the server.
//!
//! Pure rendering: a page is a function from a plain view struct and a [`Lang`] to a complete
//! HTML5 document. No I/O, no clock, no HTTP types, no state; the `http` layer decides which
//! page to show and fills the view. Element ids are the contract the browser tests rely on
//! (`issue3-contract.md`, "Buy window pages"), so they live here and nowhere else.
//! Files: `i18n` (languages, negotiation; the sentences in `i18n/{en,ja,pt_br}.rs`),
//! `money` (amounts per locale), `layout` (document frame and stylesheet), `pages` (login,
//! buy, deliver, error), `funds` (insufficient funds, add funds, redeem an incentive code), `register`,
//! `office` (the frame every office shares: sign-in, the menu, the home page, the error page),
//! `back_office` (the operators' pages: disputes, groups, audit, vendors, members, settlement),
//! `vendor_office` (a vendor admin's pages: sales, disputes, payouts, API keys, incentive
//! programs), `account` (the member's own pages: summary, wallets, limits, sub-members,
//! security questions, transfers, incentives, disputes, step-up).
//! May depend on `domain::money` (amounts and currencies) and `domain::vendor_standing`'s
//! `VendorStatus` (a vendor's standing, on the back office's vendors page), and nothing else of
//! the crate.

pub mod account;
pub mod back_office;
pub mod funds;
pub mod i18n;
pub mod layout;
pub mod money;
pub mod office;
pub mod pages;
pub mod register;
pub mod vendor_office;

pub use funds::{
    AddFundsError, AddFundsView, InsufficientFundsView, RedeemView, TopOff, add_funds_page,
    insufficient_funds_page, redeem_page,
};
pub use i18n::{Lang, Problem, Problems, Strings};
pub use layout::STYLESHEET;
pub use money::{display_amount, display_balance};
pub use pages::{
    BuyView, DeliverView, ErrorView, Incentive, LoginError, LoginView, OfferSummary, buy_page,
    deliver_page, error_page, login_page,
};
pub use register::{RegisterError, RegisterView, register_page};
