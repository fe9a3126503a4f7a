//! Tests of the crate as a whole: they use several layers at once, so they live at the root, which
//! sits above every layer (see the crate's module docs).

mod features;
mod layers;
