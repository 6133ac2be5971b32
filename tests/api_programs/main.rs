//! API tests of the programme side: awards, trainings, the public-satisfaction survey and the
//! OpenAPI document, in process (`tower::ServiceExt::oneshot` on `kinerja::http::router`), each
//! on a fresh SQLite file and a fresh PostgreSQL database.

mod harness;

mod awards;
mod bad_input;
mod openapi;
mod survey;
mod trainings;
