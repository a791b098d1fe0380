//! What a free-text field may hold, decided once for every form and API: trimmed, within its
//! length, and free of control characters. PostgreSQL refuses NUL in text, and no field of
//! ours has a use for the others (notes may keep line breaks and tabs).

/// The rules of one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextRule {
    pub field: &'static str,
    pub max_chars: usize,
    pub required: bool,
    /// Line breaks and tabs allowed (notes, cake lettering).
    pub multiline: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("{field}: 필수 항목입니다")]
    Missing { field: &'static str },
    #[error("{field}: {max}자 이하로 입력해 주세요")]
    TooLong { field: &'static str, max: usize },
    #[error("{field}: 제어 문자(NUL 등)는 입력할 수 없습니다")]
    ControlCharacter { field: &'static str },
    /// A field whose text breaks a rule of its own (an e-mail without `@`, a short password).
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: &'static str,
    },
}

impl TextError {
    pub fn field(&self) -> &'static str {
        match self {
            TextError::Missing { field }
            | TextError::TooLong { field, .. }
            | TextError::ControlCharacter { field }
            | TextError::Invalid { field, .. } => field,
        }
    }
}

impl TextRule {
    pub const fn line(field: &'static str, max_chars: usize) -> Self {
        TextRule {
            field,
            max_chars,
            required: true,
            multiline: false,
        }
    }

    pub const fn optional(self) -> Self {
        TextRule {
            required: false,
            ..self
        }
    }

    pub const fn multiline(self) -> Self {
        TextRule {
            multiline: true,
            ..self
        }
    }

    /// The trimmed value, or why it is refused.
    pub fn check(&self, value: &str) -> Result<String, TextError> {
        let field = self.field;
        let allowed = |c: char| self.multiline && matches!(c, '\n' | '\r' | '\t');
        if value.chars().any(|c| c.is_control() && !allowed(c)) {
            return Err(TextError::ControlCharacter { field });
        }
        let v = value.trim();
        if self.required && v.is_empty() {
            return Err(TextError::Missing { field });
        }
        if v.chars().count() > self.max_chars {
            return Err(TextError::TooLong {
                field,
                max: self.max_chars,
            });
        }
        Ok(v.to_owned())
    }
}

/// `fn $name() -> Object`: the OpenAPI schema of a field under `$rule`, for utoipa's
/// `#[schema(schema_with = $name)]` (which takes a function without arguments); `nullable` for
/// an `Option<String>` field.
macro_rules! text_schema {
    ($name:ident, $rule:expr, $example:expr) => {
        #[cfg(feature = "ssr")]
        fn $name() -> utoipa::openapi::Object {
            $rule.schema($example)
        }
    };
    ($name:ident, $rule:expr, $example:expr, nullable) => {
        #[cfg(feature = "ssr")]
        fn $name() -> utoipa::openapi::Object {
            $rule.nullable_schema($example)
        }
    };
}
pub(crate) use text_schema;

/// A field's OpenAPI schema, made from its rule so that the published contract and the check
/// cannot drift apart.
#[cfg(feature = "ssr")]
impl TextRule {
    pub fn schema(&self, example: &str) -> utoipa::openapi::Object {
        self.schema_of(utoipa::openapi::Type::String.into(), example)
    }

    /// For an `Option<String>` field: `null` is accepted too.
    pub fn nullable_schema(&self, example: &str) -> utoipa::openapi::Object {
        use utoipa::openapi::Type;
        self.schema_of([Type::String, Type::Null].into_iter().collect(), example)
    }

    fn schema_of(
        &self,
        kind: utoipa::openapi::schema::SchemaType,
        example: &str,
    ) -> utoipa::openapi::Object {
        // What `check` refuses: control characters, except line breaks and tabs in multi-line
        // fields; a required field needs one character that is not white space.
        let plain = if self.multiline {
            r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
        } else {
            r"[^\x00-\x1f\x7f-\x9f]"
        };
        let pattern = if self.required {
            format!(r"^{plain}*\S{plain}*$")
        } else {
            format!("^{plain}*$")
        };
        let builder = utoipa::openapi::ObjectBuilder::new()
            .schema_type(kind)
            .max_length(Some(self.max_chars))
            .pattern(Some(pattern));
        let builder = if example.is_empty() {
            builder
        } else {
            builder.examples([example])
        };
        builder.build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADDRESS: TextRule = TextRule::line("address", 10);

    #[test]
    fn trims_and_keeps_ordinary_text() {
        assert_eq!(ADDRESS.check("  강남구 1 ").unwrap(), "강남구 1");
        assert_eq!(ADDRESS.optional().check("  ").unwrap(), "");
    }

    #[test]
    fn refuses_nul_and_other_control_characters_naming_the_field() {
        for bad in [
            "Te\u{0}ster",
            "a\u{7}b",
            "a\u{1b}[31m",
            "a\u{7f}",
            "a\nb",
            "\u{85}x",
        ] {
            let err = ADDRESS.check(bad).unwrap_err();
            assert_eq!(
                err,
                TextError::ControlCharacter { field: "address" },
                "{bad:?}"
            );
        }
        assert!(ADDRESS.multiline().check("a\nb\tc").is_ok());
        assert!(ADDRESS.multiline().check("a\u{0}b").is_err());
    }

    #[test]
    fn counts_characters_not_bytes() {
        assert!(ADDRESS.check("가나다라마바사아자차").is_ok());
        assert_eq!(
            ADDRESS.check("가나다라마바사아자차카").unwrap_err(),
            TextError::TooLong {
                field: "address",
                max: 10
            }
        );
        assert_eq!(
            ADDRESS.check(" ").unwrap_err(),
            TextError::Missing { field: "address" }
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn the_published_schema_is_the_rule() {
        let json = |o: utoipa::openapi::Object| serde_json::to_value(o).unwrap();
        let line = json(ADDRESS.schema("강남구"));
        assert_eq!(
            line["pattern"],
            r"^[^\x00-\x1f\x7f-\x9f]*\S[^\x00-\x1f\x7f-\x9f]*$"
        );
        assert_eq!(line["maxLength"], 10);
        assert_eq!(line["examples"][0], "강남구");
        let notes = json(ADDRESS.optional().multiline().nullable_schema(""));
        assert_eq!(
            notes["pattern"],
            r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
        );
        assert_eq!(notes["type"], serde_json::json!(["string", "null"]));
        assert!(notes.get("examples").is_none());
    }
}
