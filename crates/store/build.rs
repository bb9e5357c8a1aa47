// `sqlx::migrate!` embeds the migration folders at compile time; without this a new
// migration file would not be picked up until something else forced a rebuild.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
