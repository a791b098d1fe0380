//! What a page shows for an error, in its language. Korean is the server's own message (it may
//! name the exact reason); English comes from the code, the field and the error's numbers.

use super::AppError;
use crate::domain::i18n::Lang;

impl AppError {
    /// The message for people, in the page's language.
    pub fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::Ko => self.to_string(),
            Lang::En => self.english(),
        }
    }

    fn english(&self) -> String {
        match self {
            AppError::InvalidInput { field, .. } => {
                format!("{}: please check this value.", field_label(field))
            }
            AppError::UnsupportedMediaType { field, .. } => {
                format!("{}: this kind of file is not accepted.", field_label(field))
            }
            AppError::PayloadTooLarge { field, limit_bytes } => format!(
                "{}: the file is too large; at most {} MB can be sent.",
                field_label(field),
                limit_bytes / (1024 * 1024)
            ),
            AppError::TooManyRequests {
                retry_after_secs, ..
            } => format!("Too many attempts. Please try again in {retry_after_secs} s."),
            AppError::Transport(detail) => format!("Cannot reach the server: {detail}"),
            other => other.english_of_code().to_owned(),
        }
    }

    fn english_of_code(&self) -> &'static str {
        match self {
            AppError::NotFound(_) => "Not found.",
            AppError::Unauthorized => "Please log in.",
            AppError::BadCredentials => "The email or password is incorrect.",
            AppError::PaymentDeclined { .. } => "The payment failed. Please try again.",
            AppError::OutOfStock { .. } => {
                "The ingredients for this order are short. Please choose another menu."
            }
            AppError::Conflict(_) => "This cannot be done with the order as it is now.",
            AppError::SoldOut(_) => "Sold out: this dinner cannot be made right now.",
            AppError::IdempotencyKeyReused => {
                "Idempotency-Key: this key was already used for another request."
            }
            AppError::SpeechNotRecognized => "We could not recognise any speech. Please try again.",
            AppError::OrderNotUnderstood { .. } => {
                "We could not understand the order. Please say it again."
            }
            AppError::AiTimeout => {
                "The AI is taking too long. Please try again shortly, or order with the form."
            }
            AppError::AiUnavailable => {
                "Voice ordering is unavailable right now. Please try again shortly, or order with the form."
            }
            AppError::Forbidden(_) => "You may not do this.",
            AppError::MethodNotAllowed => "This address does not accept this HTTP method.",
            _ => "Something went wrong on our side. Please try again shortly.",
        }
    }
}

/// The English name of a request field, as the forms label it.
fn field_label(field: &str) -> &str {
    match field {
        "email" => "Email",
        "password" => "Password (at least 8 characters)",
        "name" => "Name",
        "phone" => "Phone",
        "card_number" => "Card number",
        "expiry" => "Expiry",
        "cvv" => "CVV",
        "holder" => "Card holder",
        "address" => "Address",
        "recipient" => "Recipient",
        "requested_at" => "Requested time",
        "notes" => "Notes",
        "store" => "Store",
        "lettering" => "Cake lettering",
        "transcript" => "Your order",
        "audio" => "Recording",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn korean_pages_keep_the_servers_words_and_english_ones_get_english() {
        let err = AppError::invalid("email", "올바른 이메일 주소를 입력해 주세요");
        assert_eq!(err.message(Lang::Ko), err.to_string());
        assert_eq!(err.message(Lang::En), "Email: please check this value.");
        assert_eq!(AppError::Unauthorized.message(Lang::En), "Please log in.");
        let busy = AppError::TooManyRequests {
            message: "잠시 후".into(),
            retry_after_secs: 7,
        };
        assert!(busy.message(Lang::En).contains("7 s"));
    }

    #[test]
    fn no_english_message_is_korean() {
        let errors = [
            AppError::NotFound("없음".into()),
            AppError::Conflict("충돌".into()),
            AppError::SoldOut("품절".into()),
            AppError::Forbidden("금지".into()),
            AppError::OutOfStock {
                field: Some("lines[1]".into()),
                ingredient: Some("steak".into()),
            },
            AppError::AiTimeout,
            AppError::AiUnavailable,
            AppError::SpeechNotRecognized,
            AppError::Internal,
        ];
        for err in errors {
            let shown = err.message(Lang::En);
            assert!(shown.is_ascii(), "{shown}");
        }
    }
}
