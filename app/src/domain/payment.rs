//! The mock card processor's rules (DESIGN §6) and the card types that keep card data safe:
//! a full number or CVV never leaves these types except as the last four digits.

use serde::{Deserialize, Serialize};

use crate::domain::text::{text_schema, TextError, TextRule};

/// The card form exactly as the customer typed it.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CardInput {
    #[cfg_attr(
        feature = "ssr",
        schema(pattern = r"^[0-9]{12,19}$", examples("4242424242424242"))
    )]
    pub number: String,
    /// `MM/YY`.
    #[cfg_attr(
        feature = "ssr",
        schema(pattern = r"^(0[1-9]|1[0-2])/[0-9]{2}$", examples("12/30"))
    )]
    pub expiry: String,
    #[cfg_attr(feature = "ssr", schema(pattern = r"^[0-9]{3,4}$", examples("123")))]
    pub cvv: String,
    #[cfg_attr(feature = "ssr", schema(schema_with = holder_schema))]
    pub holder: String,
}

impl std::fmt::Debug for CardInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardInput")
            .field("number", &"<redacted>")
            .field("holder", &self.holder)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("card_number: 카드 번호가 올바르지 않습니다")]
    Number,
    #[error("expiry: 유효기간이 올바르지 않거나 지났습니다")]
    Expiry,
    #[error("cvv: CVV는 3–4자리 숫자여야 합니다")]
    Cvv,
    #[error("holder: 카드 소유자 이름을 입력해 주세요")]
    Holder,
    #[error("{0}")]
    Text(#[from] TextError),
}

impl CardError {
    pub fn field(&self) -> &'static str {
        match self {
            CardError::Number => "card_number",
            CardError::Expiry => "expiry",
            CardError::Cvv => "cvv",
            CardError::Holder => "holder",
            CardError::Text(err) => err.field(),
        }
    }
}

/// A Luhn-valid card number. Debug and Display show only the last four digits.
#[derive(Clone, PartialEq, Eq)]
pub struct CardNumber(String);

impl CardNumber {
    pub fn parse(raw: &str) -> Result<CardNumber, CardError> {
        let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if !(12..=19).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CardError::Number);
        }
        let sum: u32 = digits
            .bytes()
            .rev()
            .enumerate()
            .map(|(i, b)| {
                let d = u32::from(b - b'0');
                if i % 2 == 1 {
                    let x = d * 2;
                    if x > 9 {
                        x - 9
                    } else {
                        x
                    }
                } else {
                    d
                }
            })
            .sum();
        if !sum.is_multiple_of(10) {
            return Err(CardError::Number);
        }
        Ok(CardNumber(digits))
    }

    pub fn last4(&self) -> &str {
        &self.0[self.0.len() - 4..]
    }

    /// `**** **** **** 4242`, the only form that is ever stored.
    pub fn masked(&self) -> String {
        format!("**** **** **** {}", self.last4())
    }
}

impl std::fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CardNumber({})", self.masked())
    }
}

impl std::fmt::Display for CardNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.masked())
    }
}

/// A card that passed every check and may be charged.
#[derive(Debug, Clone)]
pub struct ValidCard {
    pub number: CardNumber,
    pub holder: String,
}

const HOLDER: TextRule = TextRule::line("holder", 100);

text_schema!(holder_schema, HOLDER, "홍길동");

/// Validates the form against today's year and month (`today` = (year, month)).
pub fn validate_card(input: &CardInput, today: (i32, u32)) -> Result<ValidCard, CardError> {
    let number = CardNumber::parse(&input.number)?;
    let (month, year) = input
        .expiry
        .trim()
        .split_once('/')
        .ok_or(CardError::Expiry)?;
    let month: u32 = month.trim().parse().map_err(|_| CardError::Expiry)?;
    let year: i32 = year.trim().parse().map_err(|_| CardError::Expiry)?;
    let year = if year < 100 { 2000 + year } else { year };
    if !(1..=12).contains(&month) || (year, month) < today {
        return Err(CardError::Expiry);
    }
    let cvv = input.cvv.trim();
    if !(3..=4).contains(&cvv.len()) || !cvv.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CardError::Cvv);
    }
    let holder = HOLDER.check(&input.holder).map_err(|err| match err {
        TextError::ControlCharacter { .. } => CardError::Text(err),
        _ => CardError::Holder,
    })?;
    Ok(ValidCard { number, holder })
}

/// What the mock processor answers for a valid card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MockDecision {
    Approved,
    Declined(DeclineCode),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclineCode {
    CardDeclined,
    InsufficientFunds,
    ExpiredCard,
}

impl DeclineCode {
    pub fn code(self) -> &'static str {
        match self {
            DeclineCode::CardDeclined => "card_declined",
            DeclineCode::InsufficientFunds => "insufficient_funds",
            DeclineCode::ExpiredCard => "expired_card",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            DeclineCode::CardDeclined => "The card was declined.",
            DeclineCode::InsufficientFunds => "The card has insufficient funds.",
            DeclineCode::ExpiredCard => "The card has expired.",
        }
    }
}

/// DESIGN §6: the test cards decide the outcome; every other valid card is approved.
pub fn mock_decision(card: &CardNumber) -> MockDecision {
    match card.0.as_str() {
        "4000000000000002" => MockDecision::Declined(DeclineCode::CardDeclined),
        "4000000000009995" => MockDecision::Declined(DeclineCode::InsufficientFunds),
        "4000000000000069" => MockDecision::Declined(DeclineCode::ExpiredCard),
        _ => MockDecision::Approved,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(number: &str, expiry: &str, cvv: &str) -> CardInput {
        CardInput {
            number: number.into(),
            expiry: expiry.into(),
            cvv: cvv.into(),
            holder: "홍길동".into(),
        }
    }

    const TODAY: (i32, u32) = (2026, 11);

    #[test]
    fn luhn() {
        assert!(CardNumber::parse("4242 4242 4242 4242").is_ok());
        assert!(CardNumber::parse("4000-0000-0000-0002").is_ok());
        assert!(CardNumber::parse("4242 4242 4242 4241").is_err());
        assert!(CardNumber::parse("4242abcd42424242").is_err());
        assert!(CardNumber::parse("42").is_err());
    }

    #[test]
    fn test_cards_decide_outcome() {
        let d = |n: &str| mock_decision(&CardNumber::parse(n).unwrap());
        assert_eq!(d("4242424242424242"), MockDecision::Approved);
        assert_eq!(d("5555555555554444"), MockDecision::Approved);
        assert_eq!(
            d("4000000000000002"),
            MockDecision::Declined(DeclineCode::CardDeclined)
        );
        assert_eq!(
            d("4000000000009995"),
            MockDecision::Declined(DeclineCode::InsufficientFunds)
        );
        assert_eq!(
            d("4000000000000069"),
            MockDecision::Declined(DeclineCode::ExpiredCard)
        );
    }

    #[test]
    fn expiry_and_cvv() {
        assert!(validate_card(&card("4242424242424242", "11/26", "123"), TODAY).is_ok());
        assert!(validate_card(&card("4242424242424242", "12/2030", "1234"), TODAY).is_ok());
        assert_eq!(
            validate_card(&card("4242424242424242", "10/26", "123"), TODAY).unwrap_err(),
            CardError::Expiry
        );
        assert_eq!(
            validate_card(&card("4242424242424242", "13/27", "123"), TODAY).unwrap_err(),
            CardError::Expiry
        );
        assert_eq!(
            validate_card(&card("4242424242424242", "12/27", "12"), TODAY).unwrap_err(),
            CardError::Cvv
        );
        assert_eq!(
            validate_card(&card("4242424242424242", "12/27", "12a"), TODAY).unwrap_err(),
            CardError::Cvv
        );
    }

    #[test]
    fn card_data_never_shows_in_debug() {
        let input = card("4242424242424242", "12/27", "987");
        let shown = format!("{input:?} {:?}", validate_card(&input, TODAY).unwrap());
        assert!(!shown.contains("4242424242424242"), "{shown}");
        assert!(!shown.contains("987"), "{shown}");
        assert!(shown.contains("**** **** **** 4242"));
    }
}
