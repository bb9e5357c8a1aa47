//! A configuration file: parsed (every error names its key) and resolved
//! (every value checked).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = certhall::config::Config::from_toml(text, "fuzz") {
        let _ = config.resolve(certhall::config::Overrides {
            data_dir: Some(std::env::temp_dir().join("certhall-fuzz-config")),
            database_url: Some("sqlite:///nonexistent/fuzz.db".into()),
            listen: None,
            public_url: None,
        });
    }
});
