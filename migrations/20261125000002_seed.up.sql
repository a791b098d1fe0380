-- Mr. Daebak Dinner Service: seed data (DESIGN.md §3).
-- Rows reference each other by code, never by id. sqlx runs this file inside one transaction.

-- ---------------------------------------------------------------------------
-- stores
-- ---------------------------------------------------------------------------
INSERT INTO stores (code, name_ko, name_en, address, active) VALUES
    ('gangnam', '강남점', 'Gangnam', '서울특별시 강남구 테헤란로 152', true),
    ('hongdae', '홍대점', 'Hongdae', '서울특별시 마포구 양화로 160', true);

-- ---------------------------------------------------------------------------
-- ingredients
-- ---------------------------------------------------------------------------
INSERT INTO ingredients (code, name_ko, name_en, unit_ko, unit_en) VALUES
    ('wine',           '와인',         'Wine',            '잔',   'glass'),
    ('steak',          '스테이크',     'Steak',           '인분', 'portion'),
    ('coffee',         '커피',         'Coffee',          '잔',   'cup'),
    ('salad',          '샐러드',       'Salad',           '인분', 'portion'),
    ('scrambled_eggs', '스크램블 에그', 'Scrambled Eggs',  '인분', 'portion'),
    ('bacon',          '베이컨',       'Bacon',           '줄',   'strip'),
    ('bread',          '빵',           'Bread',           '개',   'piece'),
    ('champagne',      '샴페인',       'Champagne',       '병',   'bottle'),
    ('baguette',       '바게트빵',     'Baguette',        '개',   'piece'),
    ('coffee_pot',     '커피 포트',    'Coffee Pot',      '포트', 'pot'),
    ('fried_chicken',  '후라이드 치킨', 'Fried Chicken',   '마리', 'whole'),
    ('pickled_radish', '치킨무',       'Pickled Radish',  '인분', 'portion'),
    ('cola',           '콜라',         'Cola',            '캔',   'can'),
    ('fries',          '감자튀김',     'French Fries',    '인분', 'portion'),
    ('cheese_balls',   '치즈볼',       'Cheese Balls',    '인분', 'portion'),
    ('garlic_bread',   '마늘빵',       'Garlic Bread',    '인분', 'portion'),
    ('corn_soup',      '콘수프',       'Corn Soup',       '그릇', 'bowl');

-- ---------------------------------------------------------------------------
-- menus (dinners)
-- ---------------------------------------------------------------------------
INSERT INTO menus (code, name_ko, name_en, description_ko, description_en, base_price, serves, icon, sort_order, active) VALUES
    ('valentine', '발렌타인 디너', 'Valentine Dinner',
     '하트 장식 접시에 담긴 스테이크와 와인 한 잔. 사랑하는 사람과 함께하는 로맨틱한 저녁.',
     'Steak and a glass of wine on a heart-decorated plate: a romantic dinner for two hearts.',
     48000, 1, '💝', 1, true),
    ('french', '프렌치 디너', 'French Dinner',
     '커피, 와인, 샐러드와 스테이크로 구성된 정통 프렌치 코스.',
     'A classic French course: coffee, wine, salad and steak.',
     52000, 1, '🍷', 2, true),
    ('english', '잉글리시 디너', 'English Dinner',
     '스크램블 에그, 베이컨, 빵과 스테이크를 곁들인 든든한 영국식 만찬.',
     'A hearty English feast: scrambled eggs, bacon, bread and steak.',
     42000, 1, '🍳', 3, true),
    ('champagne_feast', '샴페인 축제 디너', 'Champagne Feast Dinner',
     '샴페인 한 병, 바게트빵 4개, 커피 한 포트, 와인과 스테이크를 즐기는 2인용 축제 만찬.',
     'A festive dinner for two: a bottle of champagne, 4 baguettes, a pot of coffee, wine and steak.',
     120000, 2, '🍾', 4, true),
    ('chicken', '치킨 디너', 'Chicken Dinner',
     '바삭한 후라이드 치킨 한 마리에 치킨무와 콜라를 곁들인 캐주얼 디너.',
     'A casual dinner: a whole crispy fried chicken with pickled radish and cola.',
     28000, 1, '🍗', 5, true);

-- ---------------------------------------------------------------------------
-- menu styles
-- ---------------------------------------------------------------------------
INSERT INTO menu_styles (menu_id, code, name_ko, name_en, surcharge, sort_order)
SELECT m.id, s.code, s.name_ko, s.name_en, s.surcharge, s.sort_order
FROM (VALUES
    ('valentine',       'simple',     '심플',      'Simple',     0,     1),
    ('valentine',       'grand',      '그랜드',    'Grand',      8000,  2),
    ('valentine',       'deluxe',     '디럭스',    'Deluxe',     15000, 3),
    ('french',          'simple',     '심플',      'Simple',     0,     1),
    ('french',          'grand',      '그랜드',    'Grand',      8000,  2),
    ('french',          'deluxe',     '디럭스',    'Deluxe',     15000, 3),
    ('english',         'simple',     '심플',      'Simple',     0,     1),
    ('english',         'grand',      '그랜드',    'Grand',      8000,  2),
    ('english',         'deluxe',     '디럭스',    'Deluxe',     15000, 3),
    ('champagne_feast', 'grand',      '그랜드',    'Grand',      10000, 1),
    ('champagne_feast', 'deluxe',     '디럭스',    'Deluxe',     20000, 2),
    ('chicken',         'original',   '오리지널',  'Original',   0,     1),
    ('chicken',         'spicy',      '매운 맛',   'Spicy',      1000,  2),
    ('chicken',         'soy_garlic', '간장 마늘', 'Soy Garlic', 1000,  3)
) AS s(menu_code, code, name_ko, name_en, surcharge, sort_order)
JOIN menus m ON m.code = s.menu_code;

-- ---------------------------------------------------------------------------
-- menu components (default quantity, price per extra unit)
-- ---------------------------------------------------------------------------
INSERT INTO menu_components (menu_id, ingredient_id, default_quantity, extra_unit_price, sort_order)
SELECT m.id, i.id, c.default_quantity, c.extra_unit_price, c.sort_order
FROM (VALUES
    ('valentine',       'wine',           1, 9000,  1),
    ('valentine',       'steak',          1, 18000, 2),
    ('french',          'coffee',         1, 3000,  1),
    ('french',          'wine',           1, 9000,  2),
    ('french',          'salad',          1, 6000,  3),
    ('french',          'steak',          1, 18000, 4),
    ('english',         'scrambled_eggs', 1, 3000,  1),
    ('english',         'bacon',          2, 2000,  2),
    ('english',         'bread',          1, 1500,  3),
    ('english',         'steak',          1, 18000, 4),
    ('champagne_feast', 'champagne',      1, 45000, 1),
    ('champagne_feast', 'baguette',       4, 2000,  2),
    ('champagne_feast', 'coffee_pot',     1, 8000,  3),
    ('champagne_feast', 'wine',           2, 9000,  4),
    ('champagne_feast', 'steak',          2, 18000, 5),
    ('chicken',         'fried_chicken',  1, 15000, 1),
    ('chicken',         'pickled_radish', 1, 500,   2),
    ('chicken',         'cola',           1, 2000,  3)
) AS c(menu_code, ingredient_code, default_quantity, extra_unit_price, sort_order)
JOIN menus m ON m.code = c.menu_code
JOIN ingredients i ON i.code = c.ingredient_code;

-- ---------------------------------------------------------------------------
-- side dishes (each portion consumes one unit of its ingredient)
-- ---------------------------------------------------------------------------
INSERT INTO side_dishes (code, name_ko, name_en, price, ingredient_id, sort_order, active)
SELECT d.code, d.name_ko, d.name_en, d.price, i.id, d.sort_order, true
FROM (VALUES
    ('fries',        '감자튀김', 'French Fries', 4000, 'fries',        1),
    ('salad',        '샐러드',   'Salad',        6000, 'salad',        2),
    ('cheese_balls', '치즈볼',   'Cheese Balls', 5000, 'cheese_balls', 3),
    ('garlic_bread', '마늘빵',   'Garlic Bread', 4500, 'garlic_bread', 4),
    ('corn_soup',    '콘수프',   'Corn Soup',    3500, 'corn_soup',    5),
    ('cola',         '콜라',     'Cola',         2000, 'cola',         6)
) AS d(code, name_ko, name_en, price, ingredient_code, sort_order)
JOIN ingredients i ON i.code = d.ingredient_code;

-- ---------------------------------------------------------------------------
-- cakes
-- ---------------------------------------------------------------------------
INSERT INTO cake_sizes (code, name_ko, name_en, price, sort_order) VALUES
    ('mini', '미니', 'Mini',  15000, 1),
    ('no1',  '1호',  'No. 1', 25000, 2),
    ('no2',  '2호',  'No. 2', 35000, 3);

INSERT INTO cake_flavors (code, name_ko, name_en, sort_order) VALUES
    ('fresh_cream', '생크림', 'Fresh Cream', 1),
    ('chocolate',   '초콜릿', 'Chocolate',   2),
    ('cheese',      '치즈',   'Cheese',      3);

-- ---------------------------------------------------------------------------
-- store inventory: every ingredient in every store (all >= 50)
-- ---------------------------------------------------------------------------
INSERT INTO store_inventory (store_id, ingredient_id, quantity_on_hand)
SELECT s.id, i.id, q.qty
FROM (VALUES
    ('gangnam', 'wine', 300), ('gangnam', 'steak', 300), ('gangnam', 'coffee', 200),
    ('gangnam', 'salad', 200), ('gangnam', 'scrambled_eggs', 200), ('gangnam', 'bacon', 400),
    ('gangnam', 'bread', 200), ('gangnam', 'champagne', 100), ('gangnam', 'baguette', 400),
    ('gangnam', 'coffee_pot', 100), ('gangnam', 'fried_chicken', 200), ('gangnam', 'pickled_radish', 300),
    ('gangnam', 'cola', 400), ('gangnam', 'fries', 200), ('gangnam', 'cheese_balls', 200),
    ('gangnam', 'garlic_bread', 200), ('gangnam', 'corn_soup', 200),
    ('hongdae', 'wine', 200), ('hongdae', 'steak', 200), ('hongdae', 'coffee', 150),
    ('hongdae', 'salad', 150), ('hongdae', 'scrambled_eggs', 150), ('hongdae', 'bacon', 300),
    ('hongdae', 'bread', 150), ('hongdae', 'champagne', 50), ('hongdae', 'baguette', 200),
    ('hongdae', 'coffee_pot', 60), ('hongdae', 'fried_chicken', 300), ('hongdae', 'pickled_radish', 400),
    ('hongdae', 'cola', 500), ('hongdae', 'fries', 300), ('hongdae', 'cheese_balls', 250),
    ('hongdae', 'garlic_bread', 150), ('hongdae', 'corn_soup', 150)
) AS q(store_code, ingredient_code, qty)
JOIN stores s ON s.code = q.store_code
JOIN ingredients i ON i.code = q.ingredient_code;

-- ---------------------------------------------------------------------------
-- events (one active, one inactive, one expired) and promotions
-- ---------------------------------------------------------------------------
INSERT INTO events (title_ko, title_en, discount_percent, valid_from, valid_to, active) VALUES
    ('겨울 스테이크 페스티벌', 'Winter Steak Festival', 10,
     '2026-01-01 00:00:00+09', '2099-12-31 23:59:59+09', true),
    ('치킨 데이 특가', 'Chicken Day Special', 20,
     '2026-01-01 00:00:00+09', '2099-12-31 23:59:59+09', false),
    ('2025 여름 샴페인 위크', 'Summer Champagne Week 2025', 15,
     '2025-07-01 00:00:00+09', '2025-07-08 00:00:00+09', true);

INSERT INTO event_menus (event_id, menu_id)
SELECT e.id, m.id
FROM (VALUES
    ('Winter Steak Festival',       'valentine'),
    ('Winter Steak Festival',       'french'),
    ('Chicken Day Special',         'chicken'),
    ('Summer Champagne Week 2025',  'champagne_feast')
) AS em(event_title_en, menu_code)
JOIN events e ON e.title_en = em.event_title_en
JOIN menus m ON m.code = em.menu_code;

-- Inactive, so it does not change the prices that DESIGN §5 defines (tier + best event).
INSERT INTO promotions (code, title_ko, title_en, discount_percent, valid_from, valid_to, active) VALUES
    ('GRAND_OPENING', '미스터 대박 오픈 기념 할인', 'Mr. Daebak Grand Opening', 5,
     '2026-01-01 00:00:00+09', '2026-03-31 23:59:59+09', false);

-- ---------------------------------------------------------------------------
-- demo customers, one per tier; password for all: daebak1234 (argon2id, PHC string)
-- ---------------------------------------------------------------------------
INSERT INTO customers (email, password_hash, name, phone, tier) VALUES
    ('regular@daebak.test', '$argon2id$v=19$m=65536,t=3,p=4$zLaHl+3fDAJWE0xuz2qInQ$aQ/GAQx8/vWcM4aVoAxA+UNF76H7II9rV7utSZjFiaM', '김일반', '010-1000-0001', 'regular'),
    ('silver@daebak.test',  '$argon2id$v=19$m=65536,t=3,p=4$zLaHl+3fDAJWE0xuz2qInQ$aQ/GAQx8/vWcM4aVoAxA+UNF76H7II9rV7utSZjFiaM', '이실버', '010-1000-0002', 'silver'),
    ('gold@daebak.test',    '$argon2id$v=19$m=65536,t=3,p=4$zLaHl+3fDAJWE0xuz2qInQ$aQ/GAQx8/vWcM4aVoAxA+UNF76H7II9rV7utSZjFiaM', '박골드', '010-1000-0003', 'gold'),
    ('vip@daebak.test',     '$argon2id$v=19$m=65536,t=3,p=4$zLaHl+3fDAJWE0xuz2qInQ$aQ/GAQx8/vWcM4aVoAxA+UNF76H7II9rV7utSZjFiaM', '최브이', '010-1000-0004', 'vip');

-- Order history that makes each stored tier agree with "tier from the number of paid orders"
-- (silver 5, gold 10, vip 20): paid + delivered chicken dinners (original style, 28,000 원),
-- each with its successful mock payment. Order numbers MD-YYYYMMDD-9TNNNN (T = tier digit)
-- are outside the range order_number_seq will produce for years.
WITH demo AS (
    SELECT c.id AS customer_id, c.name, c.phone, h.paid_orders, h.tier_digit, h.address, h.first_at
    FROM (VALUES
        ('silver@daebak.test', 5,  1, '서울특별시 강남구 역삼로 101, 1203호', timestamptz '2026-01-03 18:30:00+09'),
        ('gold@daebak.test',   10, 2, '서울특별시 서초구 서초대로 220, 805호', timestamptz '2026-01-04 19:00:00+09'),
        ('vip@daebak.test',    20, 3, '서울특별시 강남구 도산대로 315, 1501호', timestamptz '2026-01-05 19:30:00+09')
    ) AS h(email, paid_orders, tier_digit, address, first_at)
    JOIN customers c ON c.email = h.email
),
history AS (
    SELECT d.*, g AS n, d.first_at + (g - 1) * interval '7 days' AS created_at
    FROM demo d, generate_series(1, d.paid_orders) AS g
),
new_orders AS (
    INSERT INTO orders (
        order_number, customer_id, store_id, order_status, payment_status,
        original_price, discount_amount, final_price, applied_discounts,
        delivery_address, recipient_name, recipient_phone, requested_delivery_at, notes,
        estimated_delivery_at, source, created_at, updated_at)
    SELECT
        'MD-' || to_char(h.created_at AT TIME ZONE 'Asia/Seoul', 'YYYYMMDD') || '-9' || h.tier_digit || lpad(h.n::text, 4, '0'),
        h.customer_id, (SELECT id FROM stores WHERE code = 'gangnam'), 'delivered', 'paid',
        28000, 0, 28000, '[]'::jsonb,
        h.address, h.name, h.phone, NULL, NULL,
        h.created_at + interval '45 minutes', 'gui', h.created_at, h.created_at + interval '50 minutes'
    FROM history h
    RETURNING id, order_number, final_price, recipient_name, created_at
),
new_items AS (
    INSERT INTO order_items (order_id, menu_id, style_id, quantity, unit_price, line_total)
    SELECT o.id, m.id, s.id, 1, 28000, 28000
    FROM new_orders o
    JOIN menus m ON m.code = 'chicken'
    JOIN menu_styles s ON s.menu_id = m.id AND s.code = 'original'
    RETURNING id
)
INSERT INTO mock_payments (
    order_id, transaction_id, approval_number, amount, status,
    card_masked, card_holder, created_at)
SELECT o.id, 'txn_seed_' || replace(lower(o.order_number), '-', '_'),
       right(o.order_number, 6) || '00', o.final_price, 'success',
       '**** **** **** 4242', o.recipient_name, o.created_at + interval '1 minute'
FROM new_orders o;
