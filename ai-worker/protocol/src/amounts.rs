//! How Korean says an amount, for both workers: the language model's text normalisation and the
//! speech scorer read "두 개", "세 세트" and "하나요" the same way.

/// Native numbers, which count only before a counter ("두 개"; "네" alone is "yes").
pub const KO_NUMBER_WORDS: &[(&str, u32)] = &[
    ("한", 1),
    ("두", 2),
    ("세", 3),
    ("네", 4),
    ("다섯", 5),
    ("여섯", 6),
    ("일곱", 7),
    ("여덟", 8),
    ("아홉", 9),
    ("열", 10),
];

/// Numbers that stand alone ("하나요", "둘이요").
pub const KO_STANDALONE_NUMBERS: &[(&str, u32)] = &[("하나", 1), ("둘", 2), ("셋", 3), ("넷", 4)];

/// Counters for dinners, dishes and drinks.
pub const KO_COUNTERS: &[&str] = &[
    "개", "인분", "세트", "잔", "병", "그릇", "접시", "마리", "줄", "분", "캔", "판",
];
