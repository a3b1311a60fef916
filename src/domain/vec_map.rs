//! Small sorted collections for the parts of an account that hold one to a few entries.
//! Pure data structures: no I/O, no clock; the domain's own rules stay in `account.rs`.

use std::borrow::Borrow;

/// A map kept as a boxed slice of entries sorted by key: the collections of an account that
/// hold one to a few entries (logins, wallets, sessions, limits and spending per login and
/// currency, and what is kept only within a retention window: idempotency records and spent
/// access tokens). Iteration is in key order, as a `BTreeMap`'s.
///
/// Why not a `BTreeMap`: its first insert allocates a whole leaf of 11 entries (about 1 KB
/// for a `Session`), which for a million mostly idle accounts is most of their memory. Here
/// one entry costs one entry. Lookups are a binary search; an insert or remove moves the
/// entries after it, which is cheap for the few entries these collections hold. Why a boxed
/// slice and not a `Vec`: no capacity word (16 bytes inline, not 24, in every account, for
/// each of eight collections) and no spare slots; growing by one reallocates, which costs no
/// more than the shift an insert makes anyway. (Rejected: `smallvec`-style inline storage,
/// which makes every account pay inline for capacity whether it uses it or not.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VecMap<K, V> {
    /// Sorted by key, no key twice.
    entries: Box<[(K, V)]>,
}

/// Iterator over the entries of a [`VecMap`], in key order.
pub type VecMapIter<'a, K, V> =
    std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;

impl<K: Ord, V> VecMap<K, V> {
    /// An empty map; allocates nothing.
    #[must_use]
    pub fn new() -> VecMap<K, V> {
        VecMap {
            entries: Box::default(),
        }
    }

    /// Where `key` is (`Ok`) or would go (`Err`).
    fn position<Q>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.entries
            .binary_search_by(|(candidate, _)| candidate.borrow().cmp(key))
    }

    /// Changes the entries as a `Vec`, then boxes them again without spare slots.
    fn edit<R>(&mut self, change: impl FnOnce(&mut Vec<(K, V)>) -> R) -> R {
        let mut entries = std::mem::take(&mut self.entries).into_vec();
        let result = change(&mut entries);
        self.entries = entries.into_boxed_slice();
        result
    }

    /// The value of `key`, if present.
    #[must_use]
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let index = self.position(key).ok()?;
        self.entries.get(index).map(|(_, value)| value)
    }

    /// The value of `key` to change, if present.
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let index = self.position(key).ok()?;
        self.entries.get_mut(index).map(|(_, value)| value)
    }

    /// True when `key` is present.
    #[must_use]
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.position(key).is_ok()
    }

    /// Sets the value of `key`, returning the one it replaced.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.position(&key) {
            Ok(index) => self
                .entries
                .get_mut(index)
                .map(|(_, old)| std::mem::replace(old, value)),
            Err(index) => {
                self.insert_at(index, key, value);
                None
            }
        }
    }

    /// The value of `key`, inserting `default()` first when absent.
    pub fn get_or_insert_with(&mut self, key: K, default: impl FnOnce() -> V) -> &mut V {
        let index = match self.position(&key) {
            Ok(index) => index,
            Err(index) => {
                self.insert_at(index, key, default());
                index
            }
        };
        match self.entries.get_mut(index) {
            Some((_, value)) => value,
            None => unreachable!("the entry was found or inserted at this index"),
        }
    }

    fn insert_at(&mut self, index: usize, key: K, value: V) {
        self.edit(|entries| {
            // Exactly one more slot: `insert` on a full `Vec` would double it, and boxing it
            // again would then shrink it back.
            entries.reserve_exact(1);
            entries.insert(index, (key, value));
        });
    }

    /// Removes `key`, returning its value if it was present.
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let index = self.position(key).ok()?;
        Some(self.edit(|entries| entries.remove(index).1))
    }

    /// Keeps only the entries for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.edit(|entries| entries.retain_mut(|(key, value)| keep(key, value)));
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.entries = Box::default();
    }

    /// The entries in key order.
    pub fn iter(&self) -> VecMapIter<'_, K, V> {
        self.entries.iter().map(|(key, value)| (key, value))
    }

    /// The keys in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator {
        self.entries.iter().map(|(key, _)| key)
    }

    /// The values in key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.entries.iter().map(|(_, value)| value)
    }

    /// The values in key order, to change.
    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + ExactSizeIterator {
        self.entries.iter_mut().map(|(_, value)| value)
    }

    /// Number of entries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True without entries.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<K: Ord, V> Default for VecMap<K, V> {
    fn default() -> VecMap<K, V> {
        VecMap::new()
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for VecMap<K, V> {
    /// Collects entries; of two with the same key the later wins, as in a `BTreeMap`.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(entries: I) -> VecMap<K, V> {
        let mut entries: Vec<(K, V)> = entries.into_iter().collect();
        // Stable, so equal keys keep their order and the last of each run is the later one.
        entries.sort_by(|(a, _), (b, _)| a.cmp(b));
        entries.reverse();
        entries.dedup_by(|later, earlier| later.0 == earlier.0);
        entries.reverse();
        VecMap {
            entries: entries.into_boxed_slice(),
        }
    }
}

impl<'a, K: Ord, V> IntoIterator for &'a VecMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = VecMapIter<'a, K, V>;

    fn into_iter(self) -> VecMapIter<'a, K, V> {
        self.iter()
    }
}

/// A set kept as a sorted boxed slice, for the same reasons as [`VecMap`]: the deposit
/// references of an account, usually one or two.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VecSet<T> {
    /// The members, each with nothing attached.
    members: VecMap<T, ()>,
}

impl<T: Ord> VecSet<T> {
    /// An empty set; allocates nothing.
    #[must_use]
    pub fn new() -> VecSet<T> {
        VecSet {
            members: VecMap::new(),
        }
    }

    /// True when `value` is a member.
    #[must_use]
    pub fn contains<Q>(&self, value: &Q) -> bool
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.members.contains_key(value)
    }

    /// Adds `value`; false when it was already a member.
    pub fn insert(&mut self, value: T) -> bool {
        self.members.insert(value, ()).is_none()
    }

    /// The members in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator {
        self.members.keys()
    }

    /// Number of members.
    #[must_use]
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// True without members.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

impl<T: Ord> Default for VecSet<T> {
    fn default() -> VecSet<T> {
        VecSet::new()
    }
}

impl<T: Ord> FromIterator<T> for VecSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(values: I) -> VecSet<T> {
        VecSet {
            members: values.into_iter().map(|value| (value, ())).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    #[derive(Clone, Debug)]
    enum Op {
        Insert(u8, u32),
        Remove(u8),
        GetOrInsert(u8, u32),
        RetainEven,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (any::<u8>(), any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
            any::<u8>().prop_map(Op::Remove),
            (any::<u8>(), any::<u32>()).prop_map(|(k, v)| Op::GetOrInsert(k, v)),
            Just(Op::RetainEven),
        ]
    }

    proptest! {
        /// A `VecMap` answers every operation as a `BTreeMap` does and iterates in key order.
        #[test]
        fn vec_map_acts_like_a_btree_map(ops in proptest::collection::vec(op(), 0..200)) {
            let mut model: BTreeMap<u8, u32> = BTreeMap::new();
            let mut map: VecMap<u8, u32> = VecMap::new();
            for op in ops {
                match op {
                    Op::Insert(k, v) => prop_assert_eq!(map.insert(k, v), model.insert(k, v)),
                    Op::Remove(k) => prop_assert_eq!(map.remove(&k), model.remove(&k)),
                    Op::GetOrInsert(k, v) => {
                        let got = *map.get_or_insert_with(k, || v);
                        prop_assert_eq!(got, *model.entry(k).or_insert(v));
                    }
                    Op::RetainEven => {
                        map.retain(|_, v| *v % 2 == 0);
                        model.retain(|_, v| *v % 2 == 0);
                    }
                }
                prop_assert_eq!(map.len(), model.len());
                prop_assert!(map.iter().eq(model.iter()));
                for k in [0u8, 1, 127, 255] {
                    prop_assert_eq!(map.get(&k), model.get(&k));
                    prop_assert_eq!(map.contains_key(&k), model.contains_key(&k));
                }
            }
        }

        /// Collecting keeps the later of two equal keys, as a `BTreeMap` does.
        #[test]
        fn vec_map_collects_like_a_btree_map(entries in proptest::collection::vec((0u8..16, any::<u32>()), 0..40)) {
            let model: BTreeMap<u8, u32> = entries.iter().copied().collect();
            let map: VecMap<u8, u32> = entries.into_iter().collect();
            prop_assert!(map.iter().eq(model.iter()));
        }
    }

    #[test]
    fn a_map_is_a_pointer_and_a_length() {
        assert_eq!(
            size_of::<VecMap<u64, crate::domain::account::Session>>(),
            16
        );
        assert_eq!(size_of::<VecSet<Box<str>>>(), 16);
    }

    #[test]
    fn vec_set_finds_boxed_strings_by_str() {
        let mut set: VecSet<Box<str>> = VecSet::new();
        assert!(set.insert("bulk-seed".into()));
        assert!(!set.insert("bulk-seed".into()));
        assert!(set.contains("bulk-seed"));
        assert!(!set.contains("other"));
        assert_eq!(set.len(), 1);
    }
}
