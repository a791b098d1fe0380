//! The seed must match DESIGN §3 exactly: these are the prices customers pay.

use app::domain::money::Money;
use app::services::menu::load_menu;
use server::startup::MIGRATOR;
use sqlx::PgPool;

use crate::helpers::create_database;

async fn seeded_pool() -> PgPool {
    let url = create_database().await;
    let pool = PgPool::connect(&url).await.unwrap();
    MIGRATOR.run(&pool).await.unwrap();
    pool
}

#[tokio::test]
async fn dinners_styles_and_components_match_the_design() {
    let pool = seeded_pool().await;
    let menu = load_menu(&pool).await.unwrap();

    let dinners: Vec<(&str, &str, &str, i64)> = menu
        .dinners
        .iter()
        .map(|d| {
            (
                d.code.as_str(),
                d.name_ko.as_str(),
                d.name_en.as_str(),
                d.base_price.won(),
            )
        })
        .collect();
    assert_eq!(
        dinners,
        vec![
            ("valentine", "발렌타인 디너", "Valentine Dinner", 48_000),
            ("french", "프렌치 디너", "French Dinner", 52_000),
            ("english", "잉글리시 디너", "English Dinner", 42_000),
            (
                "champagne_feast",
                "샴페인 축제 디너",
                "Champagne Feast Dinner",
                120_000
            ),
            ("chicken", "치킨 디너", "Chicken Dinner", 28_000),
        ]
    );

    let styles = |code: &str| -> Vec<(String, i64)> {
        menu.dinner(code)
            .unwrap()
            .styles
            .iter()
            .map(|s| (s.code.clone(), s.surcharge.won()))
            .collect()
    };
    let classic = vec![
        ("simple".to_owned(), 0),
        ("grand".to_owned(), 8_000),
        ("deluxe".to_owned(), 15_000),
    ];
    assert_eq!(styles("valentine"), classic);
    assert_eq!(styles("french"), classic);
    assert_eq!(styles("english"), classic);
    // The champagne feast has no simple style.
    assert_eq!(
        styles("champagne_feast"),
        vec![("grand".to_owned(), 10_000), ("deluxe".to_owned(), 20_000)]
    );
    assert_eq!(
        styles("chicken"),
        vec![
            ("original".to_owned(), 0),
            ("spicy".to_owned(), 1_000),
            ("soy_garlic".to_owned(), 1_000)
        ]
    );
    let chicken = menu.dinner("chicken").unwrap();
    let korean: Vec<&str> = chicken.styles.iter().map(|s| s.name_ko.as_str()).collect();
    assert_eq!(korean, vec!["오리지널", "매운 맛", "간장 마늘"]);

    let components = |code: &str| -> Vec<(String, i32)> {
        menu.dinner(code)
            .unwrap()
            .components
            .iter()
            .map(|c| (c.code.clone(), c.default_quantity))
            .collect()
    };
    let owned = |v: &[(&str, i32)]| -> Vec<(String, i32)> {
        v.iter().map(|(c, q)| (c.to_string(), *q)).collect()
    };
    assert_eq!(components("valentine"), owned(&[("wine", 1), ("steak", 1)]));
    assert_eq!(
        components("french"),
        owned(&[("coffee", 1), ("wine", 1), ("salad", 1), ("steak", 1)])
    );
    assert_eq!(
        components("english"),
        owned(&[
            ("scrambled_eggs", 1),
            ("bacon", 2),
            ("bread", 1),
            ("steak", 1)
        ])
    );
    assert_eq!(
        components("champagne_feast"),
        owned(&[
            ("champagne", 1),
            ("baguette", 4),
            ("coffee_pot", 1),
            ("wine", 2),
            ("steak", 2)
        ])
    );
    assert_eq!(
        components("chicken"),
        owned(&[("fried_chicken", 1), ("pickled_radish", 1), ("cola", 1)])
    );
    assert_eq!(menu.dinner("champagne_feast").unwrap().serves, 2);
}

#[tokio::test]
async fn side_dishes_and_cakes_match_the_design() {
    let pool = seeded_pool().await;
    let menu = load_menu(&pool).await.unwrap();
    let sides: Vec<(&str, &str, Money)> = menu
        .side_dishes
        .iter()
        .map(|s| (s.code.as_str(), s.name_ko.as_str(), s.price))
        .collect();
    assert_eq!(
        sides,
        vec![
            ("fries", "감자튀김", Money(4_000)),
            ("salad", "샐러드", Money(6_000)),
            ("cheese_balls", "치즈볼", Money(5_000)),
            ("garlic_bread", "마늘빵", Money(4_500)),
            ("corn_soup", "콘수프", Money(3_500)),
            ("cola", "콜라", Money(2_000)),
        ]
    );
    let sizes: Vec<(&str, i64)> = menu
        .cake_sizes
        .iter()
        .map(|s| (s.code.as_str(), s.price.won()))
        .collect();
    assert_eq!(
        sizes,
        vec![("mini", 15_000), ("no1", 25_000), ("no2", 35_000)]
    );
    let flavors: Vec<&str> = menu.cake_flavors.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(flavors, vec!["fresh_cream", "chocolate", "cheese"]);
}

#[tokio::test]
async fn stores_events_and_demo_customers_are_seeded() {
    let pool = seeded_pool().await;
    let stores: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT store_id) FROM store_inventory si \
         WHERE (SELECT count(*) FROM ingredients) = \
               (SELECT count(*) FROM store_inventory x WHERE x.store_id = si.store_id)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(stores >= 2, "at least two stores stock every ingredient");

    let active_events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE active AND now() BETWEEN valid_from AND valid_to",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(active_events >= 1);

    // Each tier has a demo customer whose paid-order count earns exactly that tier.
    let tiers: Vec<(String, i64)> = sqlx::query_as(
        "SELECT c.tier, (SELECT count(*) FROM orders o \
                         WHERE o.customer_id = c.id AND o.payment_status = 'paid') \
         FROM customers c WHERE c.email LIKE '%@daebak.test' AND c.role = 'customer' ORDER BY 2",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        tiers,
        vec![
            ("regular".to_owned(), 0),
            ("silver".to_owned(), 5),
            ("gold".to_owned(), 10),
            ("vip".to_owned(), 20)
        ]
    );
}
