-- Reverts 20261125000002_seed.up.sql: empties every table (seed rows and anything created since)
-- and restarts the identity columns, so the seed can be applied again with the same ids.
-- order_number_seq is left alone (the seed never draws from it).
TRUNCATE TABLE
    idempotency_keys,
    mock_payments,
    order_inventory_reservations,
    order_side_dishes,
    order_item_customizations,
    order_items,
    orders,
    promotions,
    event_menus,
    events,
    store_inventory,
    cake_flavors,
    cake_sizes,
    side_dishes,
    menu_components,
    menu_styles,
    menus,
    ingredients,
    stores,
    customer_sessions,
    customers
RESTART IDENTITY CASCADE;
