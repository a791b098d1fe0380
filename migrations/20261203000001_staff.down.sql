DROP TRIGGER orders_notify_status ON orders;
DROP TRIGGER orders_notify_insert ON orders;
DROP FUNCTION notify_order_event();
DROP TABLE order_status_history;
DROP INDEX mock_payments_one_refund_per_order;
DELETE FROM mock_payments WHERE status = 'refunded';
UPDATE orders SET payment_status = 'paid' WHERE payment_status = 'refunded';
ALTER TABLE orders DROP CONSTRAINT orders_payment_status_valid;
ALTER TABLE orders ADD CONSTRAINT orders_payment_status_valid CHECK (payment_status IN ('pending', 'paid', 'failed'));
ALTER TABLE mock_payments DROP CONSTRAINT mock_payments_status_valid;
ALTER TABLE mock_payments ADD CONSTRAINT mock_payments_status_valid CHECK (status IN ('success', 'failed'));
DELETE FROM customers WHERE role <> 'customer';
ALTER TABLE customers DROP CONSTRAINT customers_store_staff_only,
    DROP CONSTRAINT customers_role_valid,
    DROP COLUMN store_id,
    DROP COLUMN role;
