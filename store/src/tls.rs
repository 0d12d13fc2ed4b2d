//! TLS to PostgreSQL, as libpq reads it from the URL: `sslmode=disable|prefer|require|
//! verify-ca|verify-full` and `sslrootcert=FILE`. Every managed PostgreSQL requires TLS.
//!
//! tokio-postgres's own parser knows only `disable`, `prefer` and `require`, so the two
//! verifying modes and `sslrootcert` are read here, taken out of the URL, and turned into a
//! rustls verifier: `verify-full` checks the chain and the host name, `verify-ca` the chain
//! only, and `require` and `prefer` encrypt without checking (as libpq does without a root
//! certificate). The roots are `sslrootcert`, or else the Mozilla roots (`webpki-roots`).

use super::StoreError;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, Error as TlsError, RootCertStore, SignatureScheme};
use std::sync::Arc;
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

/// How the connection is protected, as libpq names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// The connection settings of `url` and the TLS connector its `sslmode` asks for.
pub fn connect_settings(
    url: &str,
) -> Result<(tokio_postgres::Config, MakeRustlsConnect, Mode), StoreError> {
    let bad = |what: String| StoreError::Unavailable(what);
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut mode = Mode::Prefer;
    let mut root_file = None;
    let mut kept = form_urlencoded::Serializer::new(String::new());
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match &*key {
            "sslmode" => {
                mode = match &*value {
                    "disable" => Mode::Disable,
                    "allow" | "prefer" => Mode::Prefer,
                    "require" => Mode::Require,
                    "verify-ca" => Mode::VerifyCa,
                    "verify-full" => Mode::VerifyFull,
                    other => {
                        return Err(bad(format!("sslmode={other} is not one PostgreSQL knows")))
                    }
                }
            }
            "sslrootcert" => root_file = Some(value.into_owned()),
            _ => {
                kept.append_pair(&key, &value);
            }
        }
    }
    let kept = kept.finish();
    let rest = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{kept}")
    };
    let mut config: tokio_postgres::Config = rest
        .parse()
        .map_err(|e: tokio_postgres::Error| bad(e.to_string()))?;
    config.ssl_mode(match mode {
        Mode::Disable => SslMode::Disable,
        Mode::Prefer => SslMode::Prefer,
        _ => SslMode::Require,
    });
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = || -> Result<RootCertStore, StoreError> {
        let mut roots = RootCertStore::empty();
        match &root_file {
            Some(file) => {
                let certs = CertificateDer::pem_file_iter(file)
                    .map_err(|e| bad(format!("cannot read sslrootcert {file}: {e}")))?;
                for cert in certs {
                    let cert = cert.map_err(|e| bad(format!("sslrootcert {file}: {e}")))?;
                    roots
                        .add(cert)
                        .map_err(|e| bad(format!("sslrootcert {file}: {e}")))?;
                }
            }
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        Ok(roots)
    };
    let verifier: Arc<dyn ServerCertVerifier> = match mode {
        Mode::VerifyFull | Mode::VerifyCa => {
            let full =
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots()?), provider.clone())
                    .build()
                    .map_err(|e| bad(e.to_string()))?;
            if mode == Mode::VerifyFull {
                full
            } else {
                Arc::new(ChainOnly(full))
            }
        }
        _ => Arc::new(Unchecked(provider.clone())),
    };
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok((config, MakeRustlsConnect::new(tls), mode))
}

/// `verify-ca`: the chain must lead to a trusted root; the name is not checked.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(TlsError::InvalidCertificate(rustls::CertificateError::NotValidForName))
            | Err(TlsError::InvalidCertificate(
                rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `require` and `prefer`: encrypted, with the handshake's signatures checked, but the
/// certificate not (libpq's behaviour without a root certificate).
#[derive(Debug)]
struct Unchecked(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpq_modes_and_the_root_file_are_read_and_taken_out_of_the_url() {
        let url = "postgres://u:p@db.example:5433/news?sslmode=require&application_name=x";
        let (config, _, mode) = connect_settings(url).unwrap();
        assert_eq!(mode, Mode::Require);
        assert_eq!(config.get_ssl_mode(), SslMode::Require);
        assert_eq!(config.get_application_name(), Some("x"));
        let (config, _, mode) = connect_settings("postgres://u@h/db?sslmode=disable").unwrap();
        assert_eq!(
            (mode, config.get_ssl_mode()),
            (Mode::Disable, SslMode::Disable)
        );
        let (_, _, mode) = connect_settings("postgres://u@h/db?sslmode=verify-full").unwrap();
        assert_eq!(
            mode,
            Mode::VerifyFull,
            "the Mozilla roots without sslrootcert"
        );
        let (_, _, mode) = connect_settings("postgres://u@h/db").unwrap();
        assert_eq!(mode, Mode::Prefer, "libpq's default");
        let missing =
            connect_settings("postgres://u@h/db?sslmode=verify-ca&sslrootcert=%2Fno%2Fsuch.crt");
        assert!(
            matches!(&missing, Err(StoreError::Unavailable(m)) if m.contains("/no/such.crt")),
            "{:?}",
            missing.err()
        );
        assert!(connect_settings("postgres://u@h/db?sslmode=maybe").is_err());
    }
}
