fn main() {
    // `tauri::generate_context!()` refuses to compile when `build.frontendDist` is missing. The
    // real UI is built by `npm run build:ui` (the run and test scripts do it first); a fresh
    // clone that runs plain `cargo test` gets a placeholder page instead of a compile error.
    let dist = std::path::Path::new("../ui/dist");
    if !dist.join("index.html").exists() {
        std::fs::create_dir_all(dist).expect("create ui/dist");
        std::fs::write(
            dist.join("index.html"),
            "<!doctype html><html lang=\"ru\"><meta charset=\"utf-8\"><title>Льгота</title>\
             <p>Интерфейс не собран: выполните <code>npm run build:ui</code>.</p></html>",
        )
        .expect("write placeholder ui/dist/index.html");
    }
    println!("cargo:rerun-if-changed=../ui/dist/index.html");
    tauri_build::build()
}
