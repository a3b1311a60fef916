//! The payment file of a settlement run: an ISO 20022 `pain.001.001.09`
//! (`CustomerCreditTransferInitiationV09`) document that the MSP uploads to its bank, which
//! then pays every payee of the run by credit transfer.
//!
//! An edge adapter: a pure function from the run to the text of the file. No I/O and no
//! clock (the creation time is an argument); it decides nothing about who is paid how much,
//! it only writes down what the settlement decided, and refuses what a bank would refuse.
//! Depends on the domain's money, time and bank types and on `jiff` for the calendar; on no
//! XML crate, no storage and no actor.
//!
//! # Shape
//! One `GrpHdr` (message id = the run id, creation time, count and control sum of all
//! transfers, the initiating party), then one `PmtInf` block per currency, sorted by currency
//! code, each with its own count and control sum, debited from the MSP's account and holding
//! one `CdtTrfTxInf` per transfer in input order. EUR blocks are SEPA credit transfers
//! (service level `SEPA`); others are ordinary non-urgent transfers (`NURG`). Charges are
//! shared (`SLEV`, the only value SEPA allows). Element order follows the sequences of the
//! pain.001.001.09 schema (`GroupHeader85`, `PaymentInstruction30`,
//! `CreditTransferTransaction34`), taken from the EPC SEPA credit transfer customer-to-PSP
//! schema for pain.001.001.09 (EPC132-08, 2023 v1.0) and compared with classes generated from
//! the ISO schema; a EUR file written here validates against the EPC schema (checked with
//! `xmllint` when this was written; the tests check the order themselves).
//!
//! # Text
//! Text is escaped (`&`, `<`, `>`, `"`, `'`) so any name is well-formed XML. Control
//! characters (which XML 1.0 mostly forbids) become `.`. When the file holds a EUR block, all
//! free text in it (names and remittance information) is further restricted to the SEPA
//! Latin character set of the EPC implementation guidelines (`a-z A-Z 0-9 / - ? : ( ) . , ' +`
//! and space), every other character becoming `.`, as the EPC best practice does for
//! characters it cannot convert. Rejected: the EPC conversion table (`ä` to `a`, `ß` to `ss`),
//! which is a table to maintain for a rare case and changes lengths. Identifiers are never
//! rewritten (the bank reports them back, and a changed id would not match its payout); they
//! are only checked (length, no control characters).
//!
//! # Why by hand
//! The document is a fixed tree of about forty element kinds written once per run. A
//! hand-written writer with one escape function is shorter than the glue for an XML crate
//! (`quick-xml` or `xml-rs`), keeps the element order visible in one place next to the schema
//! it follows, and adds no dependency to the server. The tests parse every file with
//! `roxmltree` so a well-formedness slip cannot pass unnoticed.

use std::collections::BTreeMap;

use crate::domain::bank::{BankAccount, BankAccountInvalid};
use crate::domain::money::{self, Amount, Currency, Total};
use crate::domain::time::Timestamp;

/// The schema this writer follows.
pub const NAMESPACE: &str = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09";

/// Longest identifier (`MsgId`, `PmtInfId`, `InstrId`, `EndToEndId`): ISO 20022 `Max35Text`.
pub const ID_CHARS_MAX: usize = 35;

/// Longest unstructured remittance information (`RmtInf/Ustrd`): ISO 20022 `Max140Text`.
pub const REMITTANCE_CHARS_MAX: usize = 140;

/// Most digits a control sum may have (`DecimalNumber`: `totalDigits` 18).
const CTRL_SUM_DIGITS_MAX: usize = 18;

/// The largest amount a SEPA credit transfer may carry (EPC rulebook: 999,999,999.99 EUR),
/// in micro-units.
const SEPA_AMOUNT_MICROS_MAX: u64 = 999_999_999_990_000;

/// The currency of SEPA credit transfers.
const SEPA_CURRENCY: &str = "EUR";

/// The MSP's own account, from config: every transfer of the run is debited from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Debtor {
    /// The MSP's legal name (`Dbtr/Nm` and `InitgPty/Nm`), 1 to 70 characters.
    pub name: String,
    /// The account debited (`DbtrAcct/Id/IBAN`); spaces and case are normalized.
    pub iban: String,
    /// The MSP's bank (`DbtrAgt/FinInstnId/BICFI`); without one the file says `NOTPROVIDED`.
    pub bic: Option<String>,
}

/// One payout of the run: a credit transfer to one payee.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreditTransfer {
    /// The payout id (`PmtId/EndToEndId`, also the `InstrId`), 1 to 35 characters: the bank
    /// reports it back with the booking and on a return, so it must name the payout.
    pub end_to_end_id: String,
    /// The payee's account, as checked by [`BankAccount::parse`]; checked again here.
    pub creditor: BankAccount,
    /// What the payee receives: a whole number of the currency's minor units, above zero
    /// (the settlement rounds payouts down before this).
    pub amount: Amount,
    /// The currency of the transfer; it selects the `PmtInf` block.
    pub currency: Currency,
    /// Unstructured remittance information shown to the payee (`RmtInf/Ustrd`), cut to 140
    /// characters; left out when blank.
    pub remittance: String,
}

/// One settlement run's payment file, before it is written.
#[derive(Clone, Copy, Debug)]
pub struct PaymentFile<'a> {
    /// The run id (`MsgId`), 1 to 35 characters; block ids append `-` and the currency code,
    /// so 31 characters at most leave room for them.
    pub message_id: &'a str,
    /// When the file was made (`CreDtTm`), written in UTC to the second.
    pub created_at: Timestamp,
    /// The day the bank is asked to execute the transfers (`ReqdExctnDt/Dt`).
    pub execution_date: jiff::civil::Date,
    /// The MSP's account.
    pub debtor: &'a Debtor,
    /// The payouts, in the order they appear within their currency's block.
    pub transfers: &'a [CreditTransfer],
}

/// Why a payment file could not be written. Each names what to fix; nothing is written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PaymentFileError {
    /// An identifier is empty, longer than 35 characters, or holds a control character.
    #[error("{element} must be 1 to 35 characters, none of them a control character: {id:?}")]
    IdInvalid {
        /// The element it would be written to (`MsgId`, `PmtInfId`, `EndToEndId`).
        element: &'static str,
        /// The identifier as given.
        id: String,
    },
    /// A transfer of nothing: banks refuse it and it pays no one.
    #[error("transfer {end_to_end_id}: the amount is zero")]
    ZeroAmount {
        /// The payout.
        end_to_end_id: String,
    },
    /// An amount with digits the currency cannot show (e.g. 0.001 USD): a bank cannot pay
    /// it, and rounding here would change what the settlement decided.
    #[error(
        "transfer {end_to_end_id}: {} micro-units is not a whole number of {currency} minor units",
        amount.micros()
    )]
    FractionalMinorUnit {
        /// The payout.
        end_to_end_id: String,
        /// The amount as given.
        amount: Amount,
        /// Its currency.
        currency: Currency,
    },
    /// A EUR transfer above the SEPA maximum of 999,999,999.99.
    #[error("transfer {end_to_end_id}: above the SEPA maximum of 999999999.99 EUR")]
    AboveSepaMaximum {
        /// The payout.
        end_to_end_id: String,
    },
    /// The sum of the amounts does not fit a control sum (18 digits), or overflowed.
    #[error("the control sum of the run does not fit in 18 digits")]
    SumTooLarge,
    /// The MSP's own account details are not valid bank details (a config error).
    #[error("the debtor account: {0}")]
    Debtor(BankAccountInvalid),
    /// A payee's account details are not valid bank details.
    #[error("transfer {end_to_end_id}: the creditor account: {invalid}")]
    Creditor {
        /// The payout.
        end_to_end_id: String,
        /// What is wrong with the account.
        invalid: BankAccountInvalid,
    },
    /// The creation time is outside the calendar range (years -9999 to 9999).
    #[error("the creation time is outside the calendar range")]
    CreatedAtOutOfRange,
}

/// The characters allowed in free text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Charset {
    /// Any character XML 1.0 allows in text (non-SEPA files).
    Xml,
    /// The SEPA Latin character set (files with a SEPA block).
    SepaLatin,
}

/// One `PmtInf` block: the transfers of one currency, checked.
struct Block<'a> {
    /// `PmtInfId`: the message id, `-`, the currency code.
    id: String,
    /// The block's currency.
    currency: Currency,
    /// The transfers with their creditors as normalized by [`BankAccount::parse`].
    transfers: Vec<(&'a CreditTransfer, BankAccount)>,
    /// The sum of the block's amounts.
    total: Total,
}

/// Writes the pain.001.001.09 document for one settlement run: `Ok(None)` when the run pays
/// no one (no file is sent), otherwise the UTF-8 text of the file.
///
/// Everything is checked before anything is written, so an error never leaves half a file.
///
/// # Errors
/// [`PaymentFileError`]: an identifier that is empty or too long, a zero amount, an amount
/// that is not a whole number of its currency's minor units, a EUR amount above the SEPA
/// maximum, a control sum beyond 18 digits, invalid debtor or creditor bank details, or a
/// creation time outside the calendar.
pub fn credit_transfer_document(
    file: &PaymentFile<'_>,
) -> Result<Option<String>, PaymentFileError> {
    let [first, ..] = file.transfers else {
        return Ok(None);
    };
    check_id("MsgId", file.message_id)?;
    let created_at = iso_date_time(file.created_at)?;
    let debtor = BankAccount::parse(
        &file.debtor.iban,
        file.debtor.bic.as_deref(),
        &file.debtor.name,
    )
    .map_err(PaymentFileError::Debtor)?;
    let blocks = blocks(file)?;
    let mut total = Total::ZERO;
    for block in &blocks {
        total = total
            .checked_add_total(block.total)
            .ok_or(PaymentFileError::SumTooLarge)?;
    }
    // The header sums amounts of every currency ("irrespective of currencies"), written with
    // the decimals of the most precise one so it stays exact. Every block's sum is at most
    // the header's and has at most as many decimals, so checking the header checks them all.
    let widest =
        blocks
            .iter()
            .map(|block| block.currency)
            .fold(first.currency, |widest, currency| {
                if currency.minor_digits() > widest.minor_digits() {
                    currency
                } else {
                    widest
                }
            });
    let header_sum = money::format_total(total, widest);
    if header_sum.bytes().filter(u8::is_ascii_digit).count() > CTRL_SUM_DIGITS_MAX {
        return Err(PaymentFileError::SumTooLarge);
    }
    let charset = if blocks
        .iter()
        .any(|block| block.currency.code() == SEPA_CURRENCY)
    {
        Charset::SepaLatin
    } else {
        Charset::Xml
    };
    let count: usize = blocks.iter().map(|block| block.transfers.len()).sum();

    let mut xml = Xml::new(charset);
    xml.out
        .push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.element_in(NAMESPACE, "Document", |xml| {
        xml.element("CstmrCdtTrfInitn", |xml| {
            // GroupHeader85: MsgId, CreDtTm, NbOfTxs, CtrlSum, InitgPty.
            xml.element("GrpHdr", |xml| {
                xml.leaf("MsgId", file.message_id);
                xml.leaf("CreDtTm", &created_at);
                xml.leaf("NbOfTxs", &count.to_string());
                xml.leaf("CtrlSum", &header_sum);
                xml.element("InitgPty", |xml| xml.text("Nm", &debtor.name, usize::MAX));
            });
            for block in &blocks {
                payment_instruction(xml, file, &debtor, block);
            }
        });
    });
    Ok(Some(xml.out))
}

/// Writes one `PmtInf` (PaymentInstruction30): PmtInfId, PmtMtd, BtchBookg, NbOfTxs,
/// CtrlSum, PmtTpInf, ReqdExctnDt, Dbtr, DbtrAcct, DbtrAgt, ChrgBr, CdtTrfTxInf.
fn payment_instruction(
    xml: &mut Xml,
    file: &PaymentFile<'_>,
    debtor: &BankAccount,
    block: &Block<'_>,
) {
    let service_level = if block.currency.code() == SEPA_CURRENCY {
        "SEPA"
    } else {
        "NURG"
    };
    xml.element("PmtInf", |xml| {
        xml.leaf("PmtInfId", &block.id);
        xml.leaf("PmtMtd", "TRF");
        xml.leaf("BtchBookg", "true");
        xml.leaf("NbOfTxs", &block.transfers.len().to_string());
        xml.leaf("CtrlSum", &money::format_total(block.total, block.currency));
        xml.element("PmtTpInf", |xml| {
            xml.element("SvcLvl", |xml| xml.leaf("Cd", service_level));
        });
        xml.element("ReqdExctnDt", |xml| {
            xml.leaf("Dt", &file.execution_date.to_string());
        });
        xml.element("Dbtr", |xml| xml.text("Nm", &debtor.name, usize::MAX));
        xml.element("DbtrAcct", |xml| {
            xml.element("Id", |xml| xml.leaf("IBAN", &debtor.iban));
            xml.leaf("Ccy", block.currency.code());
        });
        xml.element("DbtrAgt", |xml| {
            xml.element("FinInstnId", |xml| match &debtor.bic {
                Some(bic) => xml.leaf("BICFI", bic),
                None => xml.element("Othr", |xml| xml.leaf("Id", "NOTPROVIDED")),
            });
        });
        xml.leaf("ChrgBr", "SLEV");
        for (transfer, creditor) in &block.transfers {
            credit_transfer(xml, transfer, creditor);
        }
    });
}

/// Writes one `CdtTrfTxInf` (CreditTransferTransaction34): PmtId, Amt, CdtrAgt, Cdtr,
/// CdtrAcct, RmtInf.
fn credit_transfer(xml: &mut Xml, transfer: &CreditTransfer, creditor: &BankAccount) {
    xml.element("CdtTrfTxInf", |xml| {
        xml.element("PmtId", |xml| {
            xml.leaf("InstrId", &transfer.end_to_end_id);
            xml.leaf("EndToEndId", &transfer.end_to_end_id);
        });
        xml.element("Amt", |xml| {
            xml.amount(
                &money::format_amount(transfer.amount, transfer.currency),
                transfer.currency,
            );
        });
        if let Some(bic) = &creditor.bic {
            xml.element("CdtrAgt", |xml| {
                xml.element("FinInstnId", |xml| xml.leaf("BICFI", bic));
            });
        }
        xml.element("Cdtr", |xml| xml.text("Nm", &creditor.name, usize::MAX));
        xml.element("CdtrAcct", |xml| {
            xml.element("Id", |xml| xml.leaf("IBAN", &creditor.iban));
        });
        let remittance = transfer.remittance.trim();
        if !remittance.is_empty() {
            xml.element("RmtInf", |xml| {
                xml.text("Ustrd", remittance, REMITTANCE_CHARS_MAX);
            });
        }
    });
}

/// Checks every transfer and groups them by currency, sorted by code, input order kept
/// within each group.
fn blocks<'a>(file: &PaymentFile<'a>) -> Result<Vec<Block<'a>>, PaymentFileError> {
    let mut by_code: BTreeMap<&'static str, Block<'a>> = BTreeMap::new();
    for transfer in file.transfers {
        let creditor = check_transfer(transfer)?;
        let code = transfer.currency.code_static();
        let block = match by_code.entry(code) {
            std::collections::btree_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::btree_map::Entry::Vacant(entry) => {
                let id = format!("{}-{code}", file.message_id);
                check_id("PmtInfId", &id)?;
                entry.insert(Block {
                    id,
                    currency: transfer.currency,
                    transfers: Vec::new(),
                    total: Total::ZERO,
                })
            }
        };
        block.total = block
            .total
            .checked_add(transfer.amount)
            .ok_or(PaymentFileError::SumTooLarge)?;
        block.transfers.push((transfer, creditor));
    }
    Ok(by_code.into_values().collect())
}

/// Checks one transfer and answers its creditor, normalized.
fn check_transfer(transfer: &CreditTransfer) -> Result<BankAccount, PaymentFileError> {
    let id = &transfer.end_to_end_id;
    check_id("EndToEndId", id)?;
    if transfer.amount.is_zero() {
        return Err(PaymentFileError::ZeroAmount {
            end_to_end_id: id.clone(),
        });
    }
    // 10^(6 - minor digits) micro-units make one minor unit (10_000 for cents, 10^6 for yen).
    let exponent = 6_u32.saturating_sub(u32::from(transfer.currency.minor_digits()));
    let minor_unit = 10_u64.pow(exponent);
    if !transfer.amount.micros().is_multiple_of(minor_unit) {
        return Err(PaymentFileError::FractionalMinorUnit {
            end_to_end_id: id.clone(),
            amount: transfer.amount,
            currency: transfer.currency,
        });
    }
    if transfer.currency.code() == SEPA_CURRENCY
        && transfer.amount.micros() > SEPA_AMOUNT_MICROS_MAX
    {
        return Err(PaymentFileError::AboveSepaMaximum {
            end_to_end_id: id.clone(),
        });
    }
    let creditor = &transfer.creditor;
    BankAccount::parse(&creditor.iban, creditor.bic.as_deref(), &creditor.name).map_err(|invalid| {
        PaymentFileError::Creditor {
            end_to_end_id: id.clone(),
            invalid,
        }
    })
}

/// Checks an identifier against `Max35Text` (1 to 35 characters). Identifiers are written
/// as given (only escaped), so a control character, which XML cannot hold, is refused here.
fn check_id(element: &'static str, id: &str) -> Result<(), PaymentFileError> {
    let chars = id.chars().count();
    if chars == 0 || chars > ID_CHARS_MAX || id.chars().any(char::is_control) {
        return Err(PaymentFileError::IdInvalid {
            element,
            id: id.to_owned(),
        });
    }
    Ok(())
}

/// `CreDtTm`: ISODateTime in UTC to the second, `2026-11-30T14:00:00Z`. The schema allows
/// fractions of a second only by agreement with the bank, so they are dropped.
fn iso_date_time(at: Timestamp) -> Result<String, PaymentFileError> {
    let seconds = at.0.div_euclid(1_000);
    let instant =
        jiff::Timestamp::from_second(seconds).map_err(|_| PaymentFileError::CreatedAtOutOfRange)?;
    Ok(instant.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// A small indenting XML writer: elements open and close in pairs through closures, so the
/// output is well-formed by construction.
struct Xml {
    /// The document so far.
    out: String,
    /// Nesting depth, for indentation.
    depth: usize,
    /// What free text may hold.
    charset: Charset,
}

impl Xml {
    fn new(charset: Charset) -> Xml {
        Xml {
            out: String::with_capacity(4096),
            depth: 0,
            charset,
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    /// `<tag>` children `</tag>`.
    fn element(&mut self, tag: &str, children: impl FnOnce(&mut Xml)) {
        self.indent();
        self.out.push('<');
        self.out.push_str(tag);
        self.out.push_str(">\n");
        self.children_then_close(tag, children);
    }

    /// `<tag xmlns="namespace">` children `</tag>`: the root element.
    fn element_in(&mut self, namespace: &str, tag: &str, children: impl FnOnce(&mut Xml)) {
        self.indent();
        self.out.push('<');
        self.out.push_str(tag);
        self.out.push_str(" xmlns=\"");
        self.out.push_str(&escape(namespace));
        self.out.push_str("\">\n");
        self.children_then_close(tag, children);
    }

    /// Writes the children one level deeper, then the closing tag.
    fn children_then_close(&mut self, tag: &str, children: impl FnOnce(&mut Xml)) {
        self.depth = self.depth.saturating_add(1);
        children(self);
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push_str(">\n");
    }

    /// `<tag>value</tag>` for codes, ids, dates and numbers: escaped, never rewritten.
    fn leaf(&mut self, tag: &str, value: &str) {
        self.indent();
        self.out.push('<');
        self.out.push_str(tag);
        self.out.push('>');
        self.out.push_str(&escape(value));
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push_str(">\n");
    }

    /// `<tag>text</tag>` for free text (names, remittance): characters outside the file's
    /// charset become `.`, then the text is cut to `chars_max` characters and escaped.
    fn text(&mut self, tag: &str, text: &str, chars_max: usize) {
        let charset = self.charset;
        let allowed: String = text
            .chars()
            .map(|c| if permitted(c, charset) { c } else { '.' })
            .take(chars_max)
            .collect();
        self.leaf(tag, &allowed);
    }

    /// `<InstdAmt Ccy="EUR">12.30</InstdAmt>`.
    fn amount(&mut self, value: &str, currency: Currency) {
        self.indent();
        self.out.push_str("<InstdAmt Ccy=\"");
        self.out.push_str(&escape(currency.code()));
        self.out.push_str("\">");
        self.out.push_str(&escape(value));
        self.out.push_str("</InstdAmt>\n");
    }
}

/// Whether free text may hold `c`. XML 1.0 forbids most control characters and the
/// non-characters U+FFFE and U+FFFF; C1 controls and tabs have no place in a name either.
fn permitted(c: char, charset: Charset) -> bool {
    match charset {
        Charset::Xml => !c.is_control() && c != '\u{FFFE}' && c != '\u{FFFF}',
        Charset::SepaLatin => {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    '/' | '-' | '?' | ':' | '(' | ')' | '.' | ',' | '\'' | '+' | ' '
                )
        }
    }
}

/// Escapes the five characters XML gives meaning to, so any text is safe in an element or
/// an attribute value.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEBTOR_IBAN: &str = "DE89370400440532013000";
    const CREDITOR_IBAN: &str = "GB82WEST12345698765432";

    fn currency(code: &str) -> Currency {
        Currency::parse(code).unwrap()
    }

    fn debtor() -> Debtor {
        Debtor {
            name: "Farthing MSP GmbH".to_owned(),
            iban: DEBTOR_IBAN.to_owned(),
            bic: Some("COBADEFFXXX".to_owned()),
        }
    }

    fn transfer(id: &str, micros: u64, code: &str) -> CreditTransfer {
        CreditTransfer {
            end_to_end_id: id.to_owned(),
            creditor: BankAccount::parse(CREDITOR_IBAN, Some("NWBKGB2L"), "Daily Planet Ltd")
                .unwrap(),
            amount: Amount::from_micros(micros),
            currency: currency(code),
            remittance: format!("Farthing payout {id}"),
        }
    }

    fn write(
        debtor: &Debtor,
        transfers: &[CreditTransfer],
    ) -> Result<Option<String>, PaymentFileError> {
        credit_transfer_document(&PaymentFile {
            message_id: "run-2026-11-30",
            // 2026-11-30T14:00:00.789Z: the milliseconds are dropped.
            created_at: Timestamp(1_796_047_200_789),
            execution_date: jiff::civil::date(2026, 12, 1),
            debtor,
            transfers,
        })
    }

    fn document(transfers: &[CreditTransfer]) -> String {
        write(&debtor(), transfers).unwrap().unwrap()
    }

    fn children<'a, 'i>(node: roxmltree::Node<'a, 'i>, tag: &str) -> Vec<roxmltree::Node<'a, 'i>> {
        node.children()
            .filter(|child| child.is_element() && child.tag_name().name() == tag)
            .collect()
    }

    /// The one element at the end of `path`, each step a unique child.
    fn at<'a, 'i>(node: roxmltree::Node<'a, 'i>, path: &str) -> roxmltree::Node<'a, 'i> {
        path.split('/').fold(node, |node, tag| {
            let found = children(node, tag);
            assert_eq!(found.len(), 1, "{tag} in {path}");
            found[0]
        })
    }

    fn text<'a>(node: roxmltree::Node<'a, '_>, path: &str) -> &'a str {
        at(node, path).text().unwrap_or("")
    }

    fn element_names(node: roxmltree::Node<'_, '_>) -> Vec<String> {
        node.children()
            .filter(roxmltree::Node::is_element)
            .map(|child| child.tag_name().name().to_owned())
            .collect()
    }

    #[test]
    fn an_empty_run_writes_no_file() {
        assert_eq!(write(&debtor(), &[]), Ok(None));
        // Not even a bad debtor or message id is looked at: there is nothing to pay.
        let bad = Debtor {
            iban: "nonsense".to_owned(),
            ..debtor()
        };
        assert_eq!(write(&bad, &[]), Ok(None));
    }

    #[test]
    fn writes_every_required_element_in_schema_order() {
        let xml = document(&[transfer("po_1", 12_300_000, "EUR")]);
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
        let parsed = roxmltree::Document::parse(&xml).unwrap();
        let root = parsed.root_element();
        assert_eq!(root.tag_name().name(), "Document");
        assert_eq!(root.tag_name().namespace(), Some(NAMESPACE));
        let initiation = at(root, "CstmrCdtTrfInitn");
        assert_eq!(element_names(initiation), ["GrpHdr", "PmtInf"]);

        let header = at(initiation, "GrpHdr");
        assert_eq!(
            element_names(header),
            ["MsgId", "CreDtTm", "NbOfTxs", "CtrlSum", "InitgPty"]
        );
        assert_eq!(text(header, "MsgId"), "run-2026-11-30");
        assert_eq!(text(header, "CreDtTm"), "2026-11-30T14:00:00Z");
        assert_eq!(text(header, "NbOfTxs"), "1");
        assert_eq!(text(header, "CtrlSum"), "12.30");
        assert_eq!(text(header, "InitgPty/Nm"), "Farthing MSP GmbH");

        let block = at(initiation, "PmtInf");
        assert_eq!(
            element_names(block),
            [
                "PmtInfId",
                "PmtMtd",
                "BtchBookg",
                "NbOfTxs",
                "CtrlSum",
                "PmtTpInf",
                "ReqdExctnDt",
                "Dbtr",
                "DbtrAcct",
                "DbtrAgt",
                "ChrgBr",
                "CdtTrfTxInf",
            ]
        );
        assert_eq!(text(block, "PmtInfId"), "run-2026-11-30-EUR");
        assert_eq!(text(block, "PmtMtd"), "TRF");
        assert_eq!(text(block, "BtchBookg"), "true");
        assert_eq!(text(block, "NbOfTxs"), "1");
        assert_eq!(text(block, "CtrlSum"), "12.30");
        assert_eq!(text(block, "PmtTpInf/SvcLvl/Cd"), "SEPA");
        assert_eq!(text(block, "ReqdExctnDt/Dt"), "2026-12-01");
        assert_eq!(text(block, "Dbtr/Nm"), "Farthing MSP GmbH");
        assert_eq!(element_names(at(block, "DbtrAcct")), ["Id", "Ccy"]);
        assert_eq!(text(block, "DbtrAcct/Id/IBAN"), DEBTOR_IBAN);
        assert_eq!(text(block, "DbtrAcct/Ccy"), "EUR");
        assert_eq!(text(block, "DbtrAgt/FinInstnId/BICFI"), "COBADEFFXXX");
        assert_eq!(text(block, "ChrgBr"), "SLEV");

        let transaction = at(block, "CdtTrfTxInf");
        assert_eq!(
            element_names(transaction),
            ["PmtId", "Amt", "CdtrAgt", "Cdtr", "CdtrAcct", "RmtInf"]
        );
        assert_eq!(
            element_names(at(transaction, "PmtId")),
            ["InstrId", "EndToEndId"]
        );
        assert_eq!(text(transaction, "PmtId/InstrId"), "po_1");
        assert_eq!(text(transaction, "PmtId/EndToEndId"), "po_1");
        let amount = at(transaction, "Amt/InstdAmt");
        assert_eq!(amount.text(), Some("12.30"));
        assert_eq!(amount.attribute("Ccy"), Some("EUR"));
        assert_eq!(text(transaction, "CdtrAgt/FinInstnId/BICFI"), "NWBKGB2L");
        assert_eq!(text(transaction, "Cdtr/Nm"), "Daily Planet Ltd");
        assert_eq!(text(transaction, "CdtrAcct/Id/IBAN"), CREDITOR_IBAN);
        // Free text in a SEPA file keeps to the SEPA Latin set, which has no `_`.
        assert_eq!(text(transaction, "RmtInf/Ustrd"), "Farthing payout po.1");
    }

    #[test]
    fn one_block_per_currency_sorted_by_code_with_their_own_sums() {
        let transfers = [
            transfer("po_usd_1", 12_300_000, "USD"),
            transfer("po_eur_1", 1_000_000, "EUR"),
            transfer("po_usd_2", 10_000, "USD"),
            transfer("po_eur_2", 2_500_000, "EUR"),
            transfer("po_eur_3", 990_000, "EUR"),
        ];
        let xml = document(&transfers);
        let parsed = roxmltree::Document::parse(&xml).unwrap();
        let initiation = at(parsed.root_element(), "CstmrCdtTrfInitn");
        assert_eq!(text(initiation, "GrpHdr/NbOfTxs"), "5");
        // 12.30 + 1.00 + 0.01 + 2.50 + 0.99 across currencies, as the schema defines it.
        assert_eq!(text(initiation, "GrpHdr/CtrlSum"), "16.80");

        let blocks = children(initiation, "PmtInf");
        assert_eq!(blocks.len(), 2);
        let (eur, usd) = (blocks[0], blocks[1]);
        assert_eq!(text(eur, "PmtInfId"), "run-2026-11-30-EUR");
        assert_eq!(text(eur, "NbOfTxs"), "3");
        assert_eq!(text(eur, "CtrlSum"), "4.49");
        assert_eq!(text(eur, "PmtTpInf/SvcLvl/Cd"), "SEPA");
        assert_eq!(text(eur, "DbtrAcct/Ccy"), "EUR");
        assert_eq!(text(usd, "PmtInfId"), "run-2026-11-30-USD");
        assert_eq!(text(usd, "NbOfTxs"), "2");
        assert_eq!(text(usd, "CtrlSum"), "12.31");
        assert_eq!(text(usd, "PmtTpInf/SvcLvl/Cd"), "NURG");
        assert_eq!(text(usd, "DbtrAcct/Ccy"), "USD");

        let ids = |block: roxmltree::Node<'_, '_>| -> Vec<String> {
            children(block, "CdtTrfTxInf")
                .into_iter()
                .map(|transaction| text(transaction, "PmtId/EndToEndId").to_owned())
                .collect()
        };
        assert_eq!(ids(eur), ["po_eur_1", "po_eur_2", "po_eur_3"]);
        assert_eq!(ids(usd), ["po_usd_1", "po_usd_2"]);
        for transaction in children(usd, "CdtTrfTxInf") {
            assert_eq!(
                at(transaction, "Amt/InstdAmt").attribute("Ccy"),
                Some("USD")
            );
        }
    }

    #[test]
    fn amounts_show_the_minor_digits_of_their_currency() {
        let xml = document(&[
            transfer("po_usd", 12_300_000, "USD"),
            transfer("po_jpy", 5_000_000, "JPY"),
            transfer("po_kwd", 1_000, "KWD"),
        ]);
        let parsed = roxmltree::Document::parse(&xml).unwrap();
        let initiation = at(parsed.root_element(), "CstmrCdtTrfInitn");
        let amounts: Vec<(&str, &str)> = initiation
            .descendants()
            .filter(|node| node.has_tag_name("InstdAmt"))
            .map(|node| (node.attribute("Ccy").unwrap(), node.text().unwrap()))
            .collect();
        // Blocks sorted by code: JPY, KWD, USD.
        assert_eq!(amounts, [("JPY", "5"), ("KWD", "0.001"), ("USD", "12.30")]);
        let sums: Vec<&str> = children(initiation, "PmtInf")
            .into_iter()
            .map(|block| text(block, "CtrlSum"))
            .collect();
        assert_eq!(sums, ["5", "0.001", "12.30"]);
        // The header is exact with the decimals of the most precise currency.
        assert_eq!(text(initiation, "GrpHdr/CtrlSum"), "17.301");
    }

    #[test]
    fn markup_characters_in_names_round_trip_through_a_parser() {
        let tricky = "Fish & Chips <Ltd> \"Best\" O'Brien";
        let mut usd = transfer("po_1", 1_000_000, "USD");
        usd.creditor.name = tricky.to_owned();
        usd.remittance = "a<b>&c\"d'e".to_owned();
        let msp = Debtor {
            name: "M&S <Payments>".to_owned(),
            ..debtor()
        };
        let xml = write(&msp, &[usd]).unwrap().unwrap();
        assert!(xml.contains("Fish &amp; Chips &lt;Ltd&gt; &quot;Best&quot; O&apos;Brien"));
        let parsed = roxmltree::Document::parse(&xml).unwrap();
        let initiation = at(parsed.root_element(), "CstmrCdtTrfInitn");
        assert_eq!(text(initiation, "GrpHdr/InitgPty/Nm"), "M&S <Payments>");
        let block = at(initiation, "PmtInf");
        assert_eq!(text(block, "Dbtr/Nm"), "M&S <Payments>");
        assert_eq!(text(block, "CdtTrfTxInf/Cdtr/Nm"), tricky);
        assert_eq!(text(block, "CdtTrfTxInf/RmtInf/Ustrd"), "a<b>&c\"d'e");
    }

    #[test]
    fn a_file_with_a_sepa_block_keeps_to_the_sepa_latin_characters() {
        let mut eur = transfer("po_1", 1_000_000, "EUR");
        eur.creditor.name = "Müller & Söhne <GmbH> \"x\" O'Brien".to_owned();
        eur.remittance = "Zahlung für Oktober: 100% (netto) + Ω".to_owned();
        let usd = transfer("po_2", 1_000_000, "USD");
        let msp = Debtor {
            name: "Farthing & Co".to_owned(),
            ..debtor()
        };
        let xml = write(&msp, &[eur, usd]).unwrap().unwrap();
        let parsed = roxmltree::Document::parse(&xml).unwrap();
        let initiation = at(parsed.root_element(), "CstmrCdtTrfInitn");
        assert_eq!(text(initiation, "GrpHdr/InitgPty/Nm"), "Farthing . Co");
        let eur_block = children(initiation, "PmtInf")[0];
        assert_eq!(
            text(eur_block, "CdtTrfTxInf/Cdtr/Nm"),
            "M.ller . S.hne .GmbH. .x. O'Brien"
        );
        assert_eq!(
            text(eur_block, "CdtTrfTxInf/RmtInf/Ustrd"),
            "Zahlung f.r Oktober: 100. (netto) + ."
        );
        // Identifiers are never rewritten.
        assert_eq!(text(eur_block, "CdtTrfTxInf/PmtId/EndToEndId"), "po_1");
    }

    #[test]
    fn control_characters_never_reach_the_file() {
        let mut usd = transfer("po_1", 1_000_000, "USD");
        usd.remittance = "line\u{0}one\ttwo\u{7}\u{FFFF}".to_owned();
        let xml = document(&[usd]);
        let parsed = roxmltree::Document::parse(&xml).unwrap();
        let block = at(at(parsed.root_element(), "CstmrCdtTrfInitn"), "PmtInf");
        assert_eq!(text(block, "CdtTrfTxInf/RmtInf/Ustrd"), "line.one.two..");
    }

    #[test]
    fn remittance_is_cut_to_140_characters_and_left_out_when_blank() {
        let mut long = transfer("po_1", 1_000_000, "USD");
        long.remittance = "é".repeat(141);
        let mut blank = transfer("po_2", 1_000_000, "USD");
        blank.remittance = "   ".to_owned();
        let xml = document(&[long, blank]);
        let parsed = roxmltree::Document::parse(&xml).unwrap();
        let block = at(at(parsed.root_element(), "CstmrCdtTrfInitn"), "PmtInf");
        let transactions = children(block, "CdtTrfTxInf");
        assert_eq!(text(transactions[0], "RmtInf/Ustrd"), "é".repeat(140));
        assert!(children(transactions[1], "RmtInf").is_empty());
    }

    #[test]
    fn agents_without_a_bic() {
        let mut eur = transfer("po_1", 1_000_000, "EUR");
        eur.creditor.bic = None;
        let msp = Debtor {
            bic: None,
            ..debtor()
        };
        let xml = write(&msp, &[eur]).unwrap().unwrap();
        let parsed = roxmltree::Document::parse(&xml).unwrap();
        let block = at(at(parsed.root_element(), "CstmrCdtTrfInitn"), "PmtInf");
        assert_eq!(text(block, "DbtrAgt/FinInstnId/Othr/Id"), "NOTPROVIDED");
        assert!(children(at(block, "DbtrAgt/FinInstnId"), "BICFI").is_empty());
        let transaction = at(block, "CdtTrfTxInf");
        assert_eq!(
            element_names(transaction),
            ["PmtId", "Amt", "Cdtr", "CdtrAcct", "RmtInf"]
        );
    }

    #[test]
    fn account_details_are_normalized() {
        let msp = Debtor {
            iban: "de89 3704 0044 0532 0130 00".to_owned(),
            bic: Some("cobadeff".to_owned()),
            name: "  Farthing MSP GmbH ".to_owned(),
        };
        let xml = write(&msp, &[transfer("po_1", 1_000_000, "EUR")])
            .unwrap()
            .unwrap();
        let parsed = roxmltree::Document::parse(&xml).unwrap();
        let block = at(at(parsed.root_element(), "CstmrCdtTrfInitn"), "PmtInf");
        assert_eq!(text(block, "DbtrAcct/Id/IBAN"), DEBTOR_IBAN);
        assert_eq!(text(block, "DbtrAgt/FinInstnId/BICFI"), "COBADEFF");
        assert_eq!(text(block, "Dbtr/Nm"), "Farthing MSP GmbH");
    }

    #[test]
    fn a_zero_amount_is_refused_and_one_micro_unit_of_a_minor_unit_away() {
        assert_eq!(
            write(&debtor(), &[transfer("po_0", 0, "EUR")]),
            Err(PaymentFileError::ZeroAmount {
                end_to_end_id: "po_0".to_owned()
            })
        );
        // One cent is the smallest payable EUR amount.
        assert!(write(&debtor(), &[transfer("po_1", 10_000, "EUR")]).is_ok());
    }

    #[test]
    fn a_fraction_of_a_minor_unit_is_refused() {
        for (micros, code) in [
            (12_305_000, "USD"),
            (9_999, "EUR"),
            (5_500_000, "JPY"),
            (1_500, "KWD"),
        ] {
            assert_eq!(
                write(&debtor(), &[transfer("po_1", micros, code)]),
                Err(PaymentFileError::FractionalMinorUnit {
                    end_to_end_id: "po_1".to_owned(),
                    amount: Amount::from_micros(micros),
                    currency: currency(code),
                }),
                "{micros} {code}"
            );
        }
        for (micros, code) in [(12_300_000, "USD"), (5_000_000, "JPY"), (1_000, "KWD")] {
            assert!(write(&debtor(), &[transfer("po_1", micros, code)]).is_ok());
        }
    }

    #[test]
    fn a_sepa_amount_above_the_scheme_maximum_is_refused() {
        assert!(
            write(
                &debtor(),
                &[transfer("po_1", SEPA_AMOUNT_MICROS_MAX, "EUR")]
            )
            .is_ok()
        );
        let above = SEPA_AMOUNT_MICROS_MAX + 10_000;
        assert_eq!(
            write(&debtor(), &[transfer("po_1", above, "EUR")]),
            Err(PaymentFileError::AboveSepaMaximum {
                end_to_end_id: "po_1".to_owned()
            })
        );
        // Other currencies have no such scheme limit.
        assert!(write(&debtor(), &[transfer("po_1", above, "USD")]).is_ok());
    }

    #[test]
    fn identifiers_empty_longer_than_35_characters_or_with_controls_are_refused() {
        let at_limit = "p".repeat(35);
        assert!(write(&debtor(), &[transfer(&at_limit, 1_000_000, "USD")]).is_ok());
        let long = "p".repeat(36);
        assert_eq!(
            write(&debtor(), &[transfer(&long, 1_000_000, "USD")]),
            Err(PaymentFileError::IdInvalid {
                element: "EndToEndId",
                id: long.clone()
            })
        );
        for bad in ["", "po\u{0}1", "po\n1"] {
            assert_eq!(
                write(&debtor(), &[transfer(bad, 1_000_000, "USD")]),
                Err(PaymentFileError::IdInvalid {
                    element: "EndToEndId",
                    id: bad.to_owned()
                })
            );
        }
        let msp = debtor();
        let transfers = [transfer("po_1", 1_000_000, "USD")];
        let file = |message_id| PaymentFile {
            message_id,
            created_at: Timestamp(0),
            execution_date: jiff::civil::date(2026, 12, 1),
            debtor: &msp,
            transfers: &transfers,
        };
        assert_eq!(
            credit_transfer_document(&file(&long)),
            Err(PaymentFileError::IdInvalid {
                element: "MsgId",
                id: long.clone()
            })
        );
        // 31 characters leave room for "-USD"; 32 do not fit the block id.
        let run31 = "r".repeat(31);
        assert!(credit_transfer_document(&file(&run31)).is_ok());
        let run32 = "r".repeat(32);
        assert_eq!(
            credit_transfer_document(&file(&run32)),
            Err(PaymentFileError::IdInvalid {
                element: "PmtInfId",
                id: format!("{run32}-USD")
            })
        );
    }

    #[test]
    fn a_control_sum_beyond_18_digits_is_refused() {
        // The largest whole number of KWD minor units (3 decimals) in an amount.
        let max_kwd = u64::MAX / 1_000 * 1_000;
        let transfers = |count| -> Vec<CreditTransfer> {
            (0..count)
                .map(|i| transfer(&format!("po_{i}"), max_kwd, "KWD"))
                .collect()
        };
        // 54 of them sum to 996,124,179,980,315.754: 18 digits, the most a sum may have.
        let xml = document(&transfers(54));
        let parsed = roxmltree::Document::parse(&xml).unwrap();
        let initiation = at(parsed.root_element(), "CstmrCdtTrfInitn");
        assert_eq!(text(initiation, "GrpHdr/CtrlSum"), "996124179980315.754");
        assert_eq!(
            write(&debtor(), &transfers(55)),
            Err(PaymentFileError::SumTooLarge)
        );
    }

    #[test]
    fn invalid_account_details_are_refused() {
        let bad_debtor = Debtor {
            iban: "DE89370400440532013001".to_owned(),
            ..debtor()
        };
        assert!(matches!(
            write(&bad_debtor, &[transfer("po_1", 1_000_000, "EUR")]),
            Err(PaymentFileError::Debtor(invalid)) if invalid.param == "iban"
        ));
        let long_name = Debtor {
            name: "n".repeat(71),
            ..debtor()
        };
        assert!(matches!(
            write(&long_name, &[transfer("po_1", 1_000_000, "EUR")]),
            Err(PaymentFileError::Debtor(invalid)) if invalid.param == "name"
        ));
        let mut bad_creditor = transfer("po_1", 1_000_000, "EUR");
        bad_creditor.creditor.bic = Some("NOTABIC".to_owned());
        assert!(matches!(
            write(&debtor(), &[bad_creditor]),
            Err(PaymentFileError::Creditor { end_to_end_id, invalid })
                if end_to_end_id == "po_1" && invalid.param == "bic"
        ));
    }

    #[test]
    fn creation_time_is_utc_to_the_second() {
        assert_eq!(
            iso_date_time(Timestamp(0)),
            Ok("1970-01-01T00:00:00Z".to_owned())
        );
        // Before the epoch the milliseconds round down too.
        assert_eq!(
            iso_date_time(Timestamp(-1)),
            Ok("1969-12-31T23:59:59Z".to_owned())
        );
        assert_eq!(
            iso_date_time(Timestamp(i64::MAX)),
            Err(PaymentFileError::CreatedAtOutOfRange)
        );
    }

    #[test]
    fn escape_covers_the_five_markup_characters() {
        assert_eq!(escape("&<>\"'"), "&amp;&lt;&gt;&quot;&apos;");
        assert_eq!(escape("plain é"), "plain é");
    }
}
