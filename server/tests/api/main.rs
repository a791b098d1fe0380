//! One integration-test binary (faster to link than one per file).

mod accounts;
mod cart;
mod checkout;
mod concurrency;
mod expiry;
mod hardening;
mod health;
mod helpers;
mod menu_json;
mod migrations;
mod openapi;
mod pages;
mod payments;
mod seed;
mod staff;
mod voice;
mod voice_real;
