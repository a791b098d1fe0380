//! One integration-test binary (faster to link than one per file).

mod health;
mod helpers;
mod migrations;
mod pages;
mod seed;
