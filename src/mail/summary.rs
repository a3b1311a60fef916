//! The daily summary mail as a MIME message: what a member's day was, in the member's
//! language, rendered the same way every time.
//!
//! Pure: no I/O, no clock, no randomness. The same [`DailySummary`] gives the same bytes,
//! so a summary written again after a crash is the same message, and its `Message-ID`
//! ([`message_id`]) is the one a receiver dedupes on. The `Date` header comes from the
//! summary's day (its last second, in UTC), not from the clock; rejected: the time of
//! rendering, which would make two renderings of one day two different messages.
//!
//! Every sentence lives in one `Texts` per language, a struct of fields as in
//! `web/i18n.rs`, so a sentence missing from one language is a compile error. Sentences that
//! carry a value are `fn` fields, because word order differs between the languages.
//!
//! Amounts and balances arrive as strings formatted by the caller (sign, decimals and
//! currency already decided from integer micro-units); this module never computes with
//! money. Every text from outside is put on one line (control characters become spaces) and
//! cut to a named maximum, and the number of lines and vendors is bounded, so a message always
//! fits [`MESSAGE_BYTES_MAX`]. Depends on `lettre` (message building only), `jiff` (the
//! calendar), the domain's [`AccountId`] and the buy window's [`Lang`]; on no storage and no
//! actor.

use std::time::SystemTime;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use lettre::Message;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox, SinglePart};

use crate::domain::ids::AccountId;
pub use crate::domain::statement::LineKind;
use crate::mail::MailError;
use crate::mail::outbox::MESSAGE_BYTES_MAX;
use crate::web::i18n::Lang;

/// Most transaction lines written into one mail; the rest are counted in one sentence that
/// points to the account page, which has them all.
pub const SUMMARY_LINES_MAX: usize = 500;

/// Most new vendors listed in one mail; the rest are counted in one sentence.
pub const NEW_VENDORS_MAX: usize = 20;

/// Most balances listed (one per currency the member holds).
pub const BALANCES_MAX: usize = 32;

/// Longest description (vendor and title, or a note) kept, in characters; longer ones are
/// cut and end with `…`.
pub const DESCRIPTION_CHARS_MAX: usize = 200;

/// Longest short field kept (a time, an amount, a balance, a currency), in characters.
pub const FIELD_CHARS_MAX: usize = 40;

/// Longest vendor name kept, in characters.
pub const VENDOR_NAME_CHARS_MAX: usize = 100;

/// Longest link kept (a mailing list, the account page), in characters.
pub const URL_CHARS_MAX: usize = 500;

/// Longest `message_id_domain`, in bytes (a DNS name).
pub const MESSAGE_ID_DOMAIN_BYTES_MAX: usize = 253;

// The largest body the bounds above allow, counted generously (4 bytes per character,
// base64's 4/3, 64 characters per line of separators and words), fits the outbox's limit
// with room left for the headers. A bound raised above breaks the build here rather than a
// write at run time.
const LINE_CHARS_MAX: usize = DESCRIPTION_CHARS_MAX + 4 * FIELD_CHARS_MAX + 64;
const VENDOR_CHARS_MAX: usize = VENDOR_NAME_CHARS_MAX + URL_CHARS_MAX + 64;
const BODY_CHARS_MAX: usize = SUMMARY_LINES_MAX * LINE_CHARS_MAX
    + NEW_VENDORS_MAX * VENDOR_CHARS_MAX
    + BALANCES_MAX * (2 * FIELD_CHARS_MAX + 8)
    + URL_CHARS_MAX
    + 4096;
const _: () = assert!(BODY_CHARS_MAX * 4 / 3 * 4 + 16 * 1024 <= MESSAGE_BYTES_MAX);

/// One member's day, gathered by the caller from the journal: everything the mail says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DailySummary {
    /// The member; names the message (its `Message-ID` and outbox file).
    pub account: AccountId,
    /// The member's e-mail address (`To:` and the envelope recipient).
    pub to: String,
    /// The member's local day the summary covers; also names the message and sets its
    /// `Date` header, so one day is one message.
    pub date: Date,
    /// The member's language: the subject and every sentence are in it.
    pub lang: Lang,
    /// The member's account page, where the full history is.
    pub account_url: String,
    /// The day's transactions in the order they happened.
    pub lines: Vec<SummaryLine>,
    /// The balance of each wallet at the end of the day.
    pub balances: Vec<BalanceLine>,
    /// Vendors the member bought from for the first time today; the section is left out
    /// when empty.
    pub new_vendors: Vec<NewVendor>,
}

/// One transaction of the day, formatted by the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SummaryLine {
    /// Local time of day, e.g. `14:05`.
    pub time: String,
    /// What happened, written as a word of the member's language.
    pub kind: LineKind,
    /// The vendor and the title bought, or a note (a transfer's sender, a dispute's reason).
    pub description: String,
    /// The amount with its sign and currency, e.g. `-0.25 USD`; never computed here.
    pub amount: String,
    /// The wallet's balance after it, formatted the same way.
    pub balance_after: String,
}

/// One wallet's balance at the end of the day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BalanceLine {
    /// The ISO 4217 code, e.g. `USD`.
    pub currency: String,
    /// The balance, formatted by the caller, e.g. `4.75`.
    pub balance: String,
}

/// A vendor the member bought from for the first time today, offered with the vendor's
/// mailing list so the member can follow them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewVendor {
    /// The vendor's display name.
    pub name: String,
    /// Where to subscribe to the vendor's mailing list.
    pub mailing_list_url: String,
}

/// The stable `Message-ID` of a member's summary for a day,
/// `<summary-{account}-{YYYY-MM-DD}@{domain}>`: the same for every rendering and every
/// resend, so the receiving system can drop a duplicate that at-least-once relaying sends.
#[must_use]
pub fn message_id(account: AccountId, date: Date, domain: &str) -> String {
    format!("<{}@{domain}>", stem(account, date))
}

/// The outbox file stem of a member's summary for a day, `summary-{account}-{YYYY-MM-DD}`:
/// the `Message-ID`'s left part, so a file and its message name each other.
#[must_use]
pub fn stem(account: AccountId, date: Date) -> String {
    format!("summary-{account}-{date}")
}

/// Renders the summary as a `text/plain; charset=utf-8` message from `from`, with the
/// `Message-ID` of [`message_id`] under `domain` and a `Date` at the end of the summary's day
/// in UTC. Deterministic: the same arguments give the same bytes (`Message::formatted`).
///
/// # Errors
/// [`MailError::Address`] when `from` or the member's address does not parse as a mailbox,
/// [`MailError::MessageIdDomain`] when `domain` is not a host name,
/// [`MailError::DateOutOfRange`] for a day before 1970 (a `Date` header cannot carry it) or
/// after 9999-12-30,
/// [`MailError::Build`] if `lettre` refuses the message.
pub fn render(summary: &DailySummary, from: &str, domain: &str) -> Result<Message, MailError> {
    let from: Mailbox = parse_mailbox(from, "From")?;
    let to: Mailbox = parse_mailbox(&summary.to, "To")?;
    check_message_id_domain(domain)?;
    let date = end_of_day_utc(summary.date)?;
    let texts = Texts::of(summary.lang);
    let subject = (texts.subject)(&(texts.date)(summary.date));
    let language = HeaderValue::new(
        header_name("Content-Language")?,
        summary.lang.code().to_owned(),
    );
    // RFC 3834: an automatic message, so vacation responders do not answer it.
    let auto_submitted =
        HeaderValue::new(header_name("Auto-Submitted")?, "auto-generated".to_owned());
    // `Body::new` picks 7bit, quoted-printable or base64, whichever is shortest for this
    // text, so every byte on the wire is ASCII and no relay needs 8BITMIME. The choice
    // depends only on the text, so it is as deterministic as the rest.
    let body = Body::new(body_text(summary, texts));
    Message::builder()
        .message_id(Some(message_id(summary.account, summary.date, domain)))
        .date(date)
        .from(from)
        .to(to)
        .subject(subject)
        .raw_header(language)
        .raw_header(auto_submitted)
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(body),
        )
        .map_err(|error| MailError::Build(error.to_string()))
}

/// Parses an address as `lettre` will write it, naming the header on failure. The address
/// itself stays out of the error: it is personal data, and errors are logged.
fn parse_mailbox(text: &str, header: &'static str) -> Result<Mailbox, MailError> {
    text.parse::<Mailbox>()
        .map_err(|_| MailError::Address { header })
}

/// Checks a `Message-ID` domain: a DNS name of letters, digits, `-` and `.`, neither
/// starting nor ending with `.`, so nothing can break out of the header.
///
/// # Errors
/// [`MailError::MessageIdDomain`] otherwise.
pub fn check_message_id_domain(domain: &str) -> Result<(), MailError> {
    let well_formed = !domain.is_empty()
        && domain.len() <= MESSAGE_ID_DOMAIN_BYTES_MAX
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if well_formed {
        Ok(())
    } else {
        Err(MailError::MessageIdDomain(domain.to_owned()))
    }
}

fn header_name(name: &'static str) -> Result<HeaderName, MailError> {
    HeaderName::new_from_ascii(name.to_owned()).map_err(|error| MailError::Build(error.to_string()))
}

/// The last second of `date` in UTC, as the message's `Date`. Past `jiff`'s last instant is
/// an error, and so is a day before 1970: the header writer (`httpdate`) cannot represent it
/// and would panic.
fn end_of_day_utc(date: Date) -> Result<SystemTime, MailError> {
    let timestamp = date
        .at(23, 59, 59, 0)
        .to_zoned(TimeZone::UTC)
        .map_err(|_| MailError::DateOutOfRange(date))?
        .timestamp();
    if timestamp < jiff::Timestamp::UNIX_EPOCH {
        return Err(MailError::DateOutOfRange(date));
    }
    Ok(SystemTime::from(timestamp))
}

/// The body: greeting, the day, its transactions, the balances, the new vendors (when
/// any), the account link. Lines end with `\n`; `lettre` writes them as CRLF.
fn body_text(summary: &DailySummary, texts: &Texts) -> String {
    let mut out = String::new();
    let day = (texts.date)(summary.date);
    push_line(&mut out, texts.greeting);
    push_line(&mut out, "");
    push_line(&mut out, &(texts.intro)(&day));
    push_line(&mut out, "");

    push_line(&mut out, texts.transactions_heading);
    if summary.lines.is_empty() {
        push_line(&mut out, texts.no_transactions);
    }
    for line in summary.lines.iter().take(SUMMARY_LINES_MAX) {
        let balance = one_line(&line.balance_after, FIELD_CHARS_MAX);
        push_line(
            &mut out,
            &format!(
                "{}  {}  {}  {}  ({})",
                one_line(&line.time, FIELD_CHARS_MAX),
                line.kind.word(&texts.kinds),
                one_line(&line.description, DESCRIPTION_CHARS_MAX),
                one_line(&line.amount, FIELD_CHARS_MAX),
                (texts.balance_after)(&balance),
            ),
        );
    }
    let more = summary.lines.len().saturating_sub(SUMMARY_LINES_MAX);
    if more > 0 {
        push_line(&mut out, &(texts.more_lines)(more));
    }
    push_line(&mut out, "");

    push_line(&mut out, texts.balances_heading);
    for balance in summary.balances.iter().take(BALANCES_MAX) {
        push_line(
            &mut out,
            &format!(
                "{}  {}",
                one_line(&balance.currency, FIELD_CHARS_MAX),
                one_line(&balance.balance, FIELD_CHARS_MAX),
            ),
        );
    }
    push_line(&mut out, "");

    if !summary.new_vendors.is_empty() {
        push_line(&mut out, texts.new_vendors_heading);
        for vendor in summary.new_vendors.iter().take(NEW_VENDORS_MAX) {
            let url = one_line(&vendor.mailing_list_url, URL_CHARS_MAX);
            push_line(
                &mut out,
                &format!(
                    "{}  {}",
                    one_line(&vendor.name, VENDOR_NAME_CHARS_MAX),
                    (texts.mailing_list)(&url),
                ),
            );
        }
        let more = summary.new_vendors.len().saturating_sub(NEW_VENDORS_MAX);
        if more > 0 {
            push_line(&mut out, &(texts.more_vendors)(more));
        }
        push_line(&mut out, "");
    }

    push_line(
        &mut out,
        &(texts.account)(&one_line(&summary.account_url, URL_CHARS_MAX)),
    );
    push_line(&mut out, "");
    push_line(&mut out, texts.closing);
    out
}

fn push_line(out: &mut String, line: &str) {
    out.push_str(line);
    out.push('\n');
}

/// `text` on one line (control characters, line breaks among them, become spaces, so a
/// title cannot add lines to the mail), trimmed and cut to `chars_max` characters.
fn one_line(text: &str, chars_max: usize) -> String {
    let flat: String = text
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() <= chars_max {
        return flat;
    }
    let mut cut: String = flat.chars().take(chars_max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// The word for each [`LineKind`] in one language.
#[derive(Debug)]
struct KindWords {
    /// [`LineKind::Purchase`].
    purchase: &'static str,
    /// [`LineKind::FundsAdded`].
    funds_added: &'static str,
    /// [`LineKind::TransferIn`].
    transfer_in: &'static str,
    /// [`LineKind::TransferOut`].
    transfer_out: &'static str,
    /// [`LineKind::CashOut`].
    cash_out: &'static str,
    /// [`LineKind::Incentive`].
    incentive: &'static str,
    /// [`LineKind::Dispute`].
    dispute: &'static str,
    /// [`LineKind::CustomerCredit`].
    customer_credit: &'static str,
    /// [`LineKind::Reversal`].
    reversal: &'static str,
}

impl LineKind {
    /// The kind's word in `words`' language. An exhaustive match: a new kind must be given
    /// a word in every language.
    fn word(self, words: &KindWords) -> &'static str {
        match self {
            LineKind::Purchase => words.purchase,
            LineKind::FundsAdded => words.funds_added,
            LineKind::TransferIn => words.transfer_in,
            LineKind::TransferOut => words.transfer_out,
            LineKind::CashOut => words.cash_out,
            LineKind::Incentive => words.incentive,
            LineKind::Dispute => words.dispute,
            LineKind::CustomerCredit => words.customer_credit,
            LineKind::Reversal => words.reversal,
        }
    }
}

/// Every sentence of the summary mail in one language.
#[derive(Debug)]
struct Texts {
    /// The `Subject`, given the day as [`Texts::date`] writes it.
    subject: fn(&str) -> String,
    /// The day as the language writes dates.
    date: fn(Date) -> String,
    /// The first line.
    greeting: &'static str,
    /// What the mail is, given the day.
    intro: fn(&str) -> String,
    /// Above the transactions.
    transactions_heading: &'static str,
    /// Instead of the transactions on a day without any.
    no_transactions: &'static str,
    /// The balance after a transaction, given the formatted balance.
    balance_after: fn(&str) -> String,
    /// How many transactions were left out of a long day.
    more_lines: fn(usize) -> String,
    /// Above the balances.
    balances_heading: &'static str,
    /// Above the new vendors.
    new_vendors_heading: &'static str,
    /// A vendor's mailing-list link, given the URL.
    mailing_list: fn(&str) -> String,
    /// How many new vendors were left out.
    more_vendors: fn(usize) -> String,
    /// The account link, given the URL.
    account: fn(&str) -> String,
    /// The last line.
    closing: &'static str,
    /// The word for each kind of transaction.
    kinds: KindWords,
}

impl Texts {
    fn of(lang: Lang) -> &'static Texts {
        match lang {
            Lang::En => &EN,
            Lang::Ja => &JA,
            Lang::PtBr => &PT_BR,
        }
    }
}

/// English.
const EN: Texts = Texts {
    subject: |day| format!("Your Farthing day: {day}"),
    date: |date| format!("{} {}, {}", month_en(date.month()), date.day(), date.year()),
    greeting: "Hello,",
    intro: |day| format!("Here is what happened in your Farthing account on {day} (your time)."),
    transactions_heading: "Transactions",
    no_transactions: "No transactions today.",
    balance_after: |balance| format!("balance {balance}"),
    more_lines: |count| format!("…and {count} more; your account page lists them all."),
    balances_heading: "Your balances at the end of the day",
    new_vendors_heading: "New vendors you bought from today",
    mailing_list: |url| format!("mailing list: {url}"),
    more_vendors: |count| format!("…and {count} more."),
    account: |url| format!("Your account: {url}"),
    closing: "Thank you for using Farthing.",
    kinds: KindWords {
        purchase: "Purchase",
        funds_added: "Funds added",
        transfer_in: "Transfer received",
        transfer_out: "Transfer sent",
        cash_out: "Cash-out",
        incentive: "Bonus",
        dispute: "Dispute",
        customer_credit: "Credit from support",
        reversal: "Reversal",
    },
};

/// Japanese.
const JA: Texts = Texts {
    subject: |day| format!("Farthing ご利用明細（{day}）"),
    date: |date| format!("{}年{}月{}日", date.year(), date.month(), date.day()),
    greeting: "いつも Farthing をご利用いただきありがとうございます。",
    intro: |day| format!("{day}（お客様の現地時間）のご利用内容をお知らせします。"),
    transactions_heading: "お取引",
    no_transactions: "本日のお取引はありません。",
    balance_after: |balance| format!("残高 {balance}"),
    more_lines: |count| format!("ほか{count}件のお取引は、アカウントページでご確認いただけます。"),
    balances_heading: "本日終了時点の残高",
    new_vendors_heading: "本日はじめてご購入いただいた販売元",
    mailing_list: |url| format!("メーリングリスト: {url}"),
    more_vendors: |count| format!("ほか{count}件"),
    account: |url| format!("アカウント: {url}"),
    closing: "今後とも Farthing をよろしくお願いいたします。",
    kinds: KindWords {
        purchase: "購入",
        funds_added: "入金",
        transfer_in: "送金受取",
        transfer_out: "送金",
        cash_out: "出金",
        incentive: "特典",
        dispute: "異議申し立て",
        customer_credit: "サポートからの返金",
        reversal: "取消",
    },
};

/// Brazilian Portuguese.
const PT_BR: Texts = Texts {
    subject: |day| format!("Seu dia no Farthing: {day}"),
    date: |date| format!("{:02}/{:02}/{}", date.day(), date.month(), date.year()),
    greeting: "Olá,",
    intro: |day| format!("Veja o que aconteceu na sua conta Farthing em {day} (no seu horário)."),
    transactions_heading: "Transações",
    no_transactions: "Nenhuma transação hoje.",
    balance_after: |balance| format!("saldo {balance}"),
    more_lines: |count| format!("…e mais {count}; a página da sua conta mostra todas."),
    balances_heading: "Seus saldos no fim do dia",
    new_vendors_heading: "Novos vendedores dos quais você comprou hoje",
    mailing_list: |url| format!("lista de e-mails: {url}"),
    more_vendors: |count| format!("…e mais {count}."),
    account: |url| format!("Sua conta: {url}"),
    closing: "Obrigado por usar o Farthing.",
    kinds: KindWords {
        purchase: "Compra",
        funds_added: "Depósito",
        transfer_in: "Transferência recebida",
        transfer_out: "Transferência enviada",
        cash_out: "Saque",
        incentive: "Bônus",
        dispute: "Contestação",
        customer_credit: "Crédito do suporte",
        reversal: "Estorno",
    },
};

/// The English name of month `month` (1 to 12, as `jiff` gives it).
fn month_en(month: i8) -> &'static str {
    match month {
        1 => "January",
        2 => "February",
        3 => "March",
        4 => "April",
        5 => "May",
        6 => "June",
        7 => "July",
        8 => "August",
        9 => "September",
        10 => "October",
        11 => "November",
        _ => "December",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(lang: Lang) -> DailySummary {
        DailySummary {
            account: AccountId(0x00c0_ffee),
            to: "alice@example.com".to_owned(),
            date: Date::constant(2024, 3, 5),
            lang,
            account_url: "https://farthing.example/account".to_owned(),
            lines: vec![
                SummaryLine {
                    time: "09:12".to_owned(),
                    kind: LineKind::FundsAdded,
                    description: "Visa •••• 4242".to_owned(),
                    amount: "+5.00 USD".to_owned(),
                    balance_after: "5.00 USD".to_owned(),
                },
                SummaryLine {
                    time: "14:05".to_owned(),
                    kind: LineKind::Purchase,
                    description: "The Daily Planet — Morning edition".to_owned(),
                    amount: "-0.25 USD".to_owned(),
                    balance_after: "4.75 USD".to_owned(),
                },
            ],
            balances: vec![
                BalanceLine {
                    currency: "USD".to_owned(),
                    balance: "4.75".to_owned(),
                },
                BalanceLine {
                    currency: "EUR".to_owned(),
                    balance: "1.00".to_owned(),
                },
            ],
            new_vendors: vec![NewVendor {
                name: "The Daily Planet".to_owned(),
                mailing_list_url: "https://planet.example/list".to_owned(),
            }],
        }
    }

    const FROM: &str = "Farthing <no-reply@farthing.invalid>";
    const DOMAIN: &str = "farthing.invalid";

    fn header<'a>(formatted: &'a str, name: &str) -> Option<&'a str> {
        formatted.lines().find_map(|line| {
            line.split_once(": ")
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, value)| value)
        })
    }

    #[test]
    fn the_same_summary_renders_to_the_same_bytes() -> Result<(), MailError> {
        for lang in Lang::ALL {
            let first = render(&summary(lang), FROM, DOMAIN)?.formatted();
            let second = render(&summary(lang), FROM, DOMAIN)?.formatted();
            assert_eq!(first, second);
        }
        Ok(())
    }

    #[test]
    fn message_id_and_date_come_from_the_summary() -> Result<(), MailError> {
        let formatted =
            String::from_utf8(render(&summary(Lang::En), FROM, DOMAIN)?.formatted()).unwrap();
        assert_eq!(
            header(&formatted, "Message-ID"),
            Some("<summary-acct_0000000000c0ffee-2024-03-05@farthing.invalid>")
        );
        assert_eq!(
            message_id(AccountId(0x00c0_ffee), Date::constant(2024, 3, 5), DOMAIN),
            "<summary-acct_0000000000c0ffee-2024-03-05@farthing.invalid>"
        );
        assert_eq!(
            header(&formatted, "Date"),
            Some("Tue, 05 Mar 2024 23:59:59 +0000")
        );
        assert_eq!(header(&formatted, "Content-Language"), Some("en"));
        assert_eq!(header(&formatted, "Auto-Submitted"), Some("auto-generated"));
        assert!(formatted.is_ascii());
        Ok(())
    }

    #[test]
    fn each_language_has_its_own_subject() -> Result<(), MailError> {
        let subjects: Vec<String> = Lang::ALL
            .iter()
            .map(|lang| (Texts::of(*lang).subject)(&(Texts::of(*lang).date)(summary(*lang).date)))
            .collect();
        assert_eq!(subjects[0], "Your Farthing day: March 5, 2024");
        assert_eq!(subjects[1], "Farthing ご利用明細（2024年3月5日）");
        assert_eq!(subjects[2], "Seu dia no Farthing: 05/03/2024");
        // And they reach the header: English as it is, the others RFC 2047-encoded.
        let en = String::from_utf8(render(&summary(Lang::En), FROM, DOMAIN)?.formatted()).unwrap();
        assert_eq!(
            header(&en, "Subject"),
            Some("Your Farthing day: March 5, 2024")
        );
        let ja = String::from_utf8(render(&summary(Lang::Ja), FROM, DOMAIN)?.formatted()).unwrap();
        let subject = header(&ja, "Subject").unwrap();
        assert!(subject.is_ascii());
        assert!(subject.contains("=?utf-8?b?"));
        Ok(())
    }

    #[test]
    fn lines_balances_and_vendor_links_appear() {
        for lang in Lang::ALL {
            let texts = Texts::of(lang);
            let text = body_text(&summary(lang), texts);
            assert!(text.contains(texts.greeting));
            assert!(text.contains(&(texts.date)(Date::constant(2024, 3, 5))));
            for line in [
                format!(
                    "09:12  {}  Visa •••• 4242  +5.00 USD  ({})",
                    texts.kinds.funds_added,
                    (texts.balance_after)("5.00 USD")
                ),
                format!(
                    "14:05  {}  The Daily Planet — Morning edition  -0.25 USD  ({})",
                    texts.kinds.purchase,
                    (texts.balance_after)("4.75 USD")
                ),
                "USD  4.75".to_owned(),
                "EUR  1.00".to_owned(),
                format!(
                    "The Daily Planet  {}",
                    (texts.mailing_list)("https://planet.example/list")
                ),
                (texts.account)("https://farthing.example/account"),
            ] {
                assert!(
                    text.lines().any(|l| l == line),
                    "{lang:?}: {line:?} in {text}"
                );
            }
            assert!(text.contains(texts.new_vendors_heading));
            assert!(!text.contains(texts.no_transactions));
        }
    }

    #[test]
    fn the_vendors_section_is_absent_without_new_vendors() {
        for lang in Lang::ALL {
            let texts = Texts::of(lang);
            let mut quiet = summary(lang);
            quiet.new_vendors.clear();
            quiet.lines.clear();
            let text = body_text(&quiet, texts);
            assert!(!text.contains(texts.new_vendors_heading));
            assert!(!text.contains("planet.example/list"));
            assert!(text.contains(texts.no_transactions));
        }
    }

    #[test]
    fn a_bad_address_is_a_typed_error() {
        let mut bad = summary(Lang::En);
        bad.to = "alice at example".to_owned();
        assert!(matches!(
            render(&bad, FROM, DOMAIN),
            Err(MailError::Address { header: "To" })
        ));
        // One step away: a valid address, with a display name, renders.
        bad.to = "Alice <alice@example.com>".to_owned();
        assert!(render(&bad, FROM, DOMAIN).is_ok());
        assert!(matches!(
            render(&summary(Lang::En), "no-reply at farthing", DOMAIN),
            Err(MailError::Address { header: "From" })
        ));
        // A line break cannot smuggle a header in.
        bad.to = "alice@example.com\r\nBcc: eve@example.com".to_owned();
        assert!(matches!(
            render(&bad, FROM, DOMAIN),
            Err(MailError::Address { header: "To" })
        ));
    }

    #[test]
    fn a_bad_message_id_domain_is_a_typed_error() {
        for domain in [
            "",
            ".farthing",
            "farthing.",
            "a..b",
            "far thing",
            "x>\r\nBcc: y",
        ] {
            assert!(
                matches!(
                    render(&summary(Lang::En), FROM, domain),
                    Err(MailError::MessageIdDomain(_))
                ),
                "{domain:?}"
            );
        }
        assert!(render(&summary(Lang::En), FROM, "mail-1.farthing.example").is_ok());
    }

    #[test]
    fn a_day_outside_the_date_header_range_is_a_typed_error() {
        let mut old = summary(Lang::En);
        old.date = Date::constant(1969, 12, 31);
        assert!(matches!(
            render(&old, FROM, DOMAIN),
            Err(MailError::DateOutOfRange(_))
        ));
        old.date = Date::constant(1970, 1, 1);
        assert!(render(&old, FROM, DOMAIN).is_ok());
        old.date = Date::constant(9999, 12, 1);
        assert!(render(&old, FROM, DOMAIN).is_ok());
        // The last day ends after the last instant `jiff` represents.
        old.date = Date::constant(9999, 12, 31);
        assert!(matches!(
            render(&old, FROM, DOMAIN),
            Err(MailError::DateOutOfRange(_))
        ));
    }

    #[test]
    fn outside_text_stays_on_one_line_and_is_cut() {
        let mut long = summary(Lang::En);
        long.lines[1].description = format!("Title\r\nBcc: x{}", "y".repeat(500));
        let text = body_text(&long, Texts::of(Lang::En));
        assert!(!text.lines().any(|l| l.starts_with("Bcc:")));
        let line = text.lines().find(|l| l.starts_with("14:05")).unwrap();
        assert!(line.contains("Title  Bcc: xyyy"));
        assert!(line.contains("…  -0.25 USD"));
    }

    #[test]
    fn a_long_day_is_cut_with_a_count() -> Result<(), MailError> {
        let mut long = summary(Lang::Ja);
        let line = long.lines[1].clone();
        long.lines = vec![line; SUMMARY_LINES_MAX + 7];
        long.lines[0].description = "あ".repeat(DESCRIPTION_CHARS_MAX * 2);
        let text = body_text(&long, Texts::of(Lang::Ja));
        assert!(text.contains(&(JA.more_lines)(7)));
        let bytes = render(&long, FROM, DOMAIN)?.formatted();
        assert!(bytes.len() <= MESSAGE_BYTES_MAX);
        Ok(())
    }
}
