//! The request mix: which kind of request each send is, by integer weight.

use std::collections::BTreeMap;

use anyhow::{Result, bail};

/// One kind of load request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// Authorize content the member has not bought at that vendor: a debit.
    Authorize,
    /// Re-authorize content the member already owns: must not charge.
    Owned,
    /// Spend one unused access token on an access check.
    Access,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Kind; 3] = [Kind::Authorize, Kind::Owned, Kind::Access];

    /// The kind's name on the command line and in the report.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Authorize => "authorize",
            Kind::Owned => "owned",
            Kind::Access => "access",
        }
    }

    /// Position in per-kind arrays (same order as `ALL`).
    pub fn index(self) -> usize {
        match self {
            Kind::Authorize => 0,
            Kind::Owned => 1,
            Kind::Access => 2,
        }
    }
}

/// Largest weight accepted for one kind; keeps the weight total far from `u32` overflow.
pub const WEIGHT_MAX: u32 = 1_000_000;

/// Relative weights of the three kinds; at least one is positive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mix {
    /// Weights in `Kind::ALL` order.
    weights: [u32; 3],
}

impl Mix {
    /// Only authorize requests: what `--null` sends.
    pub fn authorize_only() -> Mix {
        Mix { weights: [1, 0, 0] }
    }

    /// Whether only new purchases are sent (`owned` and `access` weigh 0): what `--batch`
    /// requires, since a batch carries new purchases only.
    pub fn is_authorize_only(&self) -> bool {
        self.weight(Kind::Owned) == 0 && self.weight(Kind::Access) == 0
    }

    /// Parses `authorize=60,owned=20,access=20`; a kind left out weighs 0.
    ///
    /// # Errors
    /// Unknown or repeated kind, a weight that is not an integer in 0..=1000000, or all zero.
    pub fn parse(text: &str) -> Result<Mix> {
        let mut weights = [0_u32; 3];
        let mut seen = [false; 3];
        for part in text.split(',') {
            let Some((name, weight)) = part.trim().split_once('=') else {
                bail!("mix entry {part:?} is not kind=weight");
            };
            let Some(kind) = Kind::ALL
                .into_iter()
                .find(|kind| kind.name() == name.trim())
            else {
                bail!("unknown mix kind {name:?}: expected authorize, owned or access");
            };
            let weight: u32 = weight
                .trim()
                .parse()
                .map_err(|_| anyhow::anyhow!("mix weight {weight:?} is not an integer"))?;
            if weight > WEIGHT_MAX {
                bail!("mix weight {weight} is above {WEIGHT_MAX}");
            }
            let (Some(slot), Some(seen_slot)) =
                (weights.get_mut(kind.index()), seen.get_mut(kind.index()))
            else {
                bail!("mix kind index out of range");
            };
            if *seen_slot {
                bail!("mix kind {} given twice", kind.name());
            }
            *seen_slot = true;
            *slot = weight;
        }
        if weights.iter().all(|weight| *weight == 0) {
            bail!("mix {text:?} has no positive weight");
        }
        Ok(Mix { weights })
    }

    /// Sum of the weights; a roll for `pick` is drawn from `0..total()`.
    pub fn total(&self) -> u32 {
        self.weights.iter().sum()
    }

    /// Weight of one kind.
    pub fn weight(&self, kind: Kind) -> u32 {
        self.weights.get(kind.index()).copied().unwrap_or(0)
    }

    /// The kind a roll in `0..total()` falls on.
    pub fn pick(&self, roll: u32) -> Kind {
        let mut bound = 0_u32;
        for kind in Kind::ALL {
            bound += self.weight(kind);
            if roll < bound {
                return kind;
            }
        }
        Kind::Authorize
    }

    /// The weights by kind name, for the report.
    pub fn to_map(&self) -> BTreeMap<String, u32> {
        Kind::ALL
            .into_iter()
            .map(|kind| (kind.name().to_owned(), self.weight(kind)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_default_mix() {
        let mix = Mix::parse("authorize=60,owned=20,access=20").unwrap();
        assert_eq!(mix.total(), 100);
        assert_eq!(mix.weight(Kind::Owned), 20);
        assert_eq!(mix.pick(0), Kind::Authorize);
        assert_eq!(mix.pick(59), Kind::Authorize);
        assert_eq!(mix.pick(60), Kind::Owned);
        assert_eq!(mix.pick(79), Kind::Owned);
        assert_eq!(mix.pick(80), Kind::Access);
        assert_eq!(mix.pick(99), Kind::Access);
    }

    #[test]
    fn missing_kinds_weigh_zero_and_spaces_are_allowed() {
        let mix = Mix::parse(" access = 3 , authorize=1").unwrap();
        assert_eq!(mix.weight(Kind::Owned), 0);
        assert_eq!(mix.pick(0), Kind::Authorize);
        assert_eq!(mix.pick(1), Kind::Access);
        assert_eq!(mix.to_map().get("owned"), Some(&0));
        assert!(!mix.is_authorize_only());
        assert!(
            Mix::parse("authorize=5,owned=0")
                .unwrap()
                .is_authorize_only()
        );
        assert!(Mix::authorize_only().is_authorize_only());
    }

    #[test]
    fn rejects_bad_mixes() {
        for bad in [
            "",
            "authorize",
            "buy=10",
            "authorize=-1",
            "authorize=1.5",
            "authorize=0,owned=0",
            "authorize=1,authorize=2",
            "authorize=1000001",
        ] {
            assert!(Mix::parse(bad).is_err(), "{bad:?} must be refused");
        }
    }
}
