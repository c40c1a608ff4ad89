//! `lgota-pack`: the central office's tool for content packs (docs/content-pack.md).
//!
//!   lgota-pack keygen KEY_ID SECRET_FILE   write a new signing key; print the trusted-key entry
//!   lgota-pack check PACK.json             check a pack document against the bundled configuration
//!   lgota-pack sign KEY_ID SECRET_FILE PACK.json > SIGNED.json
//!   lgota-pack verify SIGNED.json          check the signature with the app's trusted keys
//!
//! The secret file holds the base64 of the 32-byte ed25519 secret key; keep it off the phones.

use std::process::ExitCode;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use ed25519_dalek::SigningKey;
use lgota_domain::content::{open_envelope, seal, trusted_key, trusted_keys, ContentPack};
use lgota_domain::Config;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["keygen", key_id, secret_file] => keygen(key_id, secret_file),
        ["check", pack] => check(pack),
        ["sign", key_id, secret_file, pack] => sign(key_id, secret_file, pack),
        ["verify", signed] => verify(signed),
        _ => Err(
            "usage: lgota-pack keygen KEY_ID SECRET_FILE | check PACK | sign KEY_ID SECRET_FILE PACK | verify SIGNED"
                .into(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lgota-pack: {e}");
            ExitCode::FAILURE
        }
    }
}

fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))
}

fn keygen(key_id: &str, secret_file: &str) -> Result<(), String> {
    if std::path::Path::new(secret_file).exists() {
        return Err(format!("{secret_file} exists: refusing to overwrite a key"));
    }
    let mut seed = [0u8; 32];
    use std::io::Read;
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut seed)).map_err(|e| e.to_string())?;
    let key = SigningKey::from_bytes(&seed);
    std::fs::write(secret_file, BASE64.encode(seed)).map_err(|e| format!("{secret_file}: {e}"))?;
    let entry = trusted_key(key_id, &key);
    println!("{}", serde_json::to_string_pretty(&entry).map_err(|e| e.to_string())?);
    eprintln!(
        "add the entry above to crates/lgota-domain/content/trusted_keys.json and rebuild the app; \
         until then the server accepts it with --trusted-keys FILE"
    );
    Ok(())
}

fn check(pack: &str) -> Result<(), String> {
    let pack = ContentPack::parse(&read(pack)?, &Config::bundled()).map_err(|e| e.to_string())?;
    println!(
        "ok: version {}, {} articles, {} checklists, {} scenarios",
        pack.version,
        pack.articles.len(),
        pack.checklists.len(),
        pack.training.len()
    );
    Ok(())
}

fn sign(key_id: &str, secret_file: &str, pack: &str) -> Result<(), String> {
    let payload = read(pack)?;
    ContentPack::parse(&payload, &Config::bundled()).map_err(|e| e.to_string())?;
    let seed: [u8; 32] = BASE64
        .decode(read(secret_file)?.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("the secret file does not hold a base64 32-byte key")?;
    println!("{}", seal(&SigningKey::from_bytes(&seed), key_id, &payload));
    Ok(())
}

fn verify(signed: &str) -> Result<(), String> {
    let payload = open_envelope(&read(signed)?, &trusted_keys()).map_err(|e| e.to_string())?;
    let pack = ContentPack::parse(&payload, &Config::bundled()).map_err(|e| e.to_string())?;
    println!("ok: signature verified, version {}", pack.version);
    Ok(())
}
