//! What the services run on: the request context, the process's Redis connection, the AI worker
//! queues and the rate limits kept in Redis.

pub mod ai;
pub mod context;
pub mod limits;
pub mod redis;
