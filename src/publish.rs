//! Publishing: our `Item` model converted to RSS 2.0, Atom 1.0 and JSON Feed 1.1 (only here), and
//! written atomically to `<data_dir>/public/`.
