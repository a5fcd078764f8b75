//! Rebuild when the migration tree changes: `embed_migrations!` reads each migration's files,
//! but cargo would not notice a *new* migration directory without this.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
