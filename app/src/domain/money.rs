//! Money is integer KRW (원); formatting lives here so every page shows it the same way.

use serde::{Deserialize, Serialize};

/// An amount in KRW. Never a float: prices, discounts and totals are whole won.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Money(pub i64);

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn won(self) -> i64 {
        self.0
    }

    /// Rounds down to a multiple of 10 원, as DESIGN §5 asks for every charged amount.
    pub fn floor_10(self) -> Money {
        Money(self.0.div_euclid(10) * 10)
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_mul(self, n: i64) -> Option<Money> {
        self.0.checked_mul(n).map(Money)
    }

    /// `48000` → `48,000` (sign kept for negative deltas).
    pub fn grouped(self) -> String {
        let digits = self.0.unsigned_abs().to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
        if self.0 < 0 {
            out.push('-');
        }
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(ch);
        }
        out
    }
}

#[cfg(feature = "ssr")]
impl sqlx::Type<sqlx::Postgres> for Money {
    fn type_info() -> sqlx::postgres::PgTypeInfo {
        <i64 as sqlx::Type<sqlx::Postgres>>::type_info()
    }
}

#[cfg(feature = "ssr")]
impl<'r> sqlx::Decode<'r, sqlx::Postgres> for Money {
    fn decode(value: sqlx::postgres::PgValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        Ok(Money(<i64 as sqlx::Decode<sqlx::Postgres>>::decode(value)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands() {
        assert_eq!(Money(0).grouped(), "0");
        assert_eq!(Money(999).grouped(), "999");
        assert_eq!(Money(48_000).grouped(), "48,000");
        assert_eq!(Money(1_234_567).grouped(), "1,234,567");
        assert_eq!(Money(-4_500).grouped(), "-4,500");
    }

    #[test]
    fn floors_to_ten_won() {
        assert_eq!(Money(43_209).floor_10(), Money(43_200));
        assert_eq!(Money(43_200).floor_10(), Money(43_200));
        assert_eq!(Money(9).floor_10(), Money(0));
    }

    #[test]
    fn checked_math_reports_overflow() {
        assert_eq!(Money(i64::MAX).checked_add(Money(1)), None);
        assert_eq!(Money(3).checked_mul(4), Some(Money(12)));
    }
}
