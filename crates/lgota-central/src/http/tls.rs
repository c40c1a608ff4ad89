//! Built-in HTTPS: a certificate chain and its private key read from PEM files (`--tls-cert`,
//! `--tls-key`), served by rustls. [`Tls::reload`] reads the files again (on SIGHUP: a renewed
//! certificate takes effect without a restart); a reload that fails keeps the certificate in use.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;

/// The PEM files the server's certificate is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate, then any intermediate certificates (a "full chain").
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1), unencrypted.
    pub key: PathBuf,
}

/// The certificate in use, replaceable while serving.
pub struct Tls {
    files: TlsFiles,
    config: RwLock<Arc<ServerConfig>>,
}

impl Tls {
    /// Reads the files; the error says in Russian which file is wrong and how.
    pub fn load(files: TlsFiles) -> Result<Arc<Tls>, String> {
        let config = server_config(&files)?;
        Ok(Arc::new(Tls { files, config: RwLock::new(config) }))
    }

    /// Reads the files again; on success later connections get the new certificate (those open
    /// keep theirs), on failure the one in use stays and the error is returned.
    pub fn reload(&self) -> Result<(), String> {
        let config = server_config(&self.files)?;
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = config;
        Ok(())
    }

    pub fn files(&self) -> &TlsFiles {
        &self.files
    }

    /// The acceptor for one new connection.
    pub fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(self.config.read().unwrap_or_else(|e| e.into_inner()).clone())
    }
}

/// The CA certificate enrolled phones pin (`tls_ca_cert`): the last certificate of a PEM file —
/// the root at the end of a full chain, or a self-signed certificate alone —, as DER.
pub fn ca_certificate(path: &Path) -> Result<Vec<u8>, String> {
    let chain = read_chain(path).map_err(|e| format!("tls_ca_cert: {e}"))?;
    chain.last().map(|c| c.to_vec()).ok_or_else(|| format!("tls_ca_cert {}: в файле нет сертификата", path.display()))
}

fn server_config(files: &TlsFiles) -> Result<Arc<ServerConfig>, String> {
    let chain = read_chain(&files.cert)?;
    let key = read_key(&files.key)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| {
            format!(
                "сертификат {} и ключ {} не подходят друг к другу или не поддерживаются: {e}",
                files.cert.display(),
                files.key.display()
            )
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn read_pem(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{what} {}: {e}", path.display()))
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = read_pem(path, "файл сертификата")?;
    let chain = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("файл сертификата {}: не читается как PEM: {e}", path.display()))?;
    if chain.is_empty() {
        return Err(format!(
            "файл сертификата {}: в нём нет ни одного блока «BEGIN CERTIFICATE» (нужен PEM, например fullchain.pem)",
            path.display()
        ));
    }
    Ok(chain)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    let pem = read_pem(path, "файл ключа")?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| {
        format!(
            "файл ключа {}: нет закрытого ключа в формате PEM (PKCS#8, RSA или EC, без пароля): {e}",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_pair(dir: &Path, name: &str) -> TlsFiles {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec![name.to_string()]).unwrap().self_signed(&key).unwrap();
        let files = TlsFiles { cert: dir.join(format!("{name}.crt")), key: dir.join(format!("{name}.key")) };
        std::fs::write(&files.cert, cert.pem()).unwrap();
        std::fs::write(&files.key, key.serialize_pem()).unwrap();
        files
    }

    #[test]
    fn wrong_files_are_named_and_a_failed_reload_keeps_the_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let good = write_pair(dir.path(), "a.example");
        let other = write_pair(dir.path(), "b.example");
        let tls = Tls::load(good.clone()).unwrap();

        let missing = TlsFiles { cert: dir.path().join("none.crt"), ..good.clone() };
        assert!(Tls::load(missing).err().unwrap().contains("файл сертификата"));
        let swapped = TlsFiles { cert: good.key.clone(), key: good.cert.clone() };
        assert!(Tls::load(swapped).err().unwrap().contains("BEGIN CERTIFICATE"));
        let mismatched = TlsFiles { cert: good.cert.clone(), key: other.key.clone() };
        assert!(Tls::load(mismatched).err().unwrap().contains("не подходят друг к другу"), "key of another cert");

        std::fs::write(&good.key, "not a key").unwrap();
        let e = tls.reload().unwrap_err();
        assert!(e.contains("файл ключа"), "{e}");
        std::fs::copy(&other.key, &good.key).unwrap();
        std::fs::copy(&other.cert, &good.cert).unwrap();
        tls.reload().unwrap();
    }
}
