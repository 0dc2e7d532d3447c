//! An account's labor report: totals, validated and pending units, and amounts by work type,
//! by design and by month, aggregated from its ledger entries (rounded like the ledger).

use std::collections::BTreeMap;

use super::{Entry, round};

/// Units and hours.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Amount {
    pub units: f64,
    pub hours: f64,
}

/// What an account's labor page shows above its entries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub units: f64,
    pub hours: f64,
    pub validated_units: f64,
    pub pending_units: f64,
    pub by_type: BTreeMap<String, Amount>,
    pub by_design: BTreeMap<String, Amount>,
    /// By `YYYY-MM` (UTC) of the commit.
    pub by_month: BTreeMap<String, Amount>,
}

impl Report {
    pub fn of(entries: &[Entry]) -> Self {
        let mut report = Self::default();
        let add = |map: &mut BTreeMap<String, Amount>, key: String, e: &Entry| {
            let slot = map.entry(key).or_default();
            slot.units += e.units;
            slot.hours += e.hours;
        };
        for e in entries {
            report.units += e.units;
            report.hours += e.hours;
            if e.status == "validated" {
                report.validated_units += e.units;
            } else {
                report.pending_units += e.units;
            }
            add(&mut report.by_type, e.work_type.clone(), e);
            add(&mut report.by_design, e.design.clone(), e);
            let month = crate::format::rfc3339(e.committed_at)[..7].to_owned();
            add(&mut report.by_month, month, e);
        }
        for value in [
            &mut report.units,
            &mut report.hours,
            &mut report.validated_units,
            &mut report.pending_units,
        ] {
            *value = round(*value);
        }
        for map in [
            &mut report.by_type,
            &mut report.by_design,
            &mut report.by_month,
        ] {
            for amount in map.values_mut() {
                amount.units = round(amount.units);
                amount.hours = round(amount.hours);
            }
        }
        report
    }
}
