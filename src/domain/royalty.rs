//! Royalties to rights holders and the other parties of a sale ([0151]-[0152], [0266]-[0271]).
//!
//! A sale may name rights holders (authors, publishers, artists) and their shares in parts
//! per million of the price. The selling vendor's ledger accrues each share exactly (in
//! micro-units times ppm, like fees: see [`super::fees`]) and withholds it from the vendor's
//! net; the rights holder is owed what the ledgers of all vendors accrued to it, each pair
//! rounded down to the micro-unit, so what is withheld and what is owed are the same sum. A
//! sale of a member a vendor referred also names that vendor, which earns its referral
//! commission on it.

use serde::{Deserialize, Serialize};

use super::fees::PPM_MAX;
use super::ids::{RightsHolderId, VendorId};
use super::money::Currency;
use super::time::Timestamp;

/// Most rights holders one sale names.
pub const ROYALTIES_MAX: usize = 8;
/// Longest rights-holder name, in bytes.
pub const NAME_BYTES_MAX: usize = 256;

/// One rights holder's share of a sale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Royalty {
    /// Who is owed it.
    pub rights_holder: RightsHolderId,
    /// Parts per million of the price.
    pub share_ppm: u32,
}

/// Who besides the selling vendor has a part in a sale.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleParties {
    /// Rights holders and their shares.
    pub royalties: Vec<Royalty>,
    /// The vendor that referred the buyer, while its referral lasts: it earns a commission.
    pub referrer: Option<VendorId>,
}

impl SaleParties {
    /// True when the sale has no other party.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.royalties.is_empty() && self.referrer.is_none()
    }
}

/// The royalties a request names break a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RoyaltiesInvalid {
    /// More than [`ROYALTIES_MAX`] rights holders.
    #[error("at most 8 rights holders per sale")]
    TooMany,
    /// A share of 0 or above the whole price.
    #[error("share_ppm is 1 to 1000000")]
    Share,
    /// The same rights holder twice.
    #[error("each rights holder at most once")]
    Repeated,
    /// The shares together exceed the price.
    #[error("the shares together exceed the price")]
    ExceedPrice,
}

/// Checks the royalties of one sale: at most eight, each share 1 to 1,000,000 ppm, each
/// rights holder once, together at most the whole price.
///
/// # Errors
/// The first rule broken.
pub fn check_royalties(royalties: &[Royalty]) -> Result<(), RoyaltiesInvalid> {
    if royalties.len() > ROYALTIES_MAX {
        return Err(RoyaltiesInvalid::TooMany);
    }
    if royalties
        .iter()
        .any(|r| r.share_ppm == 0 || r.share_ppm > PPM_MAX)
    {
        return Err(RoyaltiesInvalid::Share);
    }
    for (index, royalty) in royalties.iter().enumerate() {
        if royalties
            .iter()
            .take(index)
            .any(|earlier| earlier.rights_holder == royalty.rights_holder)
        {
            return Err(RoyaltiesInvalid::Repeated);
        }
    }
    let together = royalties
        .iter()
        .fold(0_u64, |sum, r| sum.saturating_add(u64::from(r.share_ppm)));
    if together > u64::from(PPM_MAX) {
        return Err(RoyaltiesInvalid::ExceedPrice);
    }
    Ok(())
}

/// A rights holder: a payee of its own, in one currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightsHolder {
    /// Its id.
    pub id: RightsHolderId,
    /// Display name.
    pub name: String,
    /// The currency it is paid in; sales in another currency cannot name it.
    pub currency: Currency,
    /// When it was registered.
    pub registered_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(holder: u64, share_ppm: u32) -> Royalty {
        Royalty {
            rights_holder: RightsHolderId(holder),
            share_ppm,
        }
    }

    #[test]
    fn shares_may_sum_to_the_price_and_no_more() {
        assert_eq!(check_royalties(&[]), Ok(()));
        assert_eq!(
            check_royalties(&[share(1, 600_000), share(2, 400_000)]),
            Ok(())
        );
        assert_eq!(
            check_royalties(&[share(1, 600_000), share(2, 400_001)]),
            Err(RoyaltiesInvalid::ExceedPrice)
        );
        assert_eq!(check_royalties(&[share(1, 1_000_000)]), Ok(()));
        assert_eq!(
            check_royalties(&[share(1, 1_000_001)]),
            Err(RoyaltiesInvalid::Share)
        );
        assert_eq!(
            check_royalties(&[share(1, 0)]),
            Err(RoyaltiesInvalid::Share)
        );
        assert_eq!(
            check_royalties(&[share(1, 5), share(1, 5)]),
            Err(RoyaltiesInvalid::Repeated)
        );
        let eight: Vec<Royalty> = (0..8).map(|i| share(i, 1)).collect();
        assert_eq!(check_royalties(&eight), Ok(()));
        let nine: Vec<Royalty> = (0..9).map(|i| share(i, 1)).collect();
        assert_eq!(check_royalties(&nine), Err(RoyaltiesInvalid::TooMany));
    }
}
