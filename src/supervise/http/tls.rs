//! TLS for `https://` probes, through rustls.

use std::sync::{Arc, OnceLock};

use rustls::{
  ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme, StreamOwned,
  client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
  crypto::{CryptoProvider, ring, verify_tls12_signature, verify_tls13_signature},
  pki_types::{CertificateDer, ServerName, UnixTime},
};

use super::Deadlined;

/// The handshake, on a connection to `host`; any certificate on loopback.
pub(super) fn connect<'a>(
  host: &str,
  loopback: bool,
  stream: &'a mut Deadlined,
) -> Result<StreamOwned<ClientConnection, &'a mut Deadlined>, String> {
  let name = ServerName::try_from(host.to_owned())
    .map_err(|_| format!("`{host}` is not a name TLS can check"))?;
  let config = if loopback { &LOOPBACK } else { &VERIFIED };
  let config = config.get_or_init(|| build(loopback)).clone();
  let mut connection =
    ClientConnection::new(config, name).map_err(|error| format!("TLS: {error}"))?;
  while connection.is_handshaking() {
    connection
      .complete_io(stream)
      .map_err(|error| format!("TLS handshake: {error}"))?;
  }
  Ok(StreamOwned::new(connection, stream))
}

static LOOPBACK: OnceLock<Arc<ClientConfig>> = OnceLock::new();
static VERIFIED: OnceLock<Arc<ClientConfig>> = OnceLock::new();

fn build(loopback: bool) -> Arc<ClientConfig> {
  let provider = Arc::new(ring::default_provider());
  let builder = ClientConfig::builder_with_provider(provider.clone())
    .with_safe_default_protocol_versions()
    .expect("ring supports the default protocol versions");
  let config = if loopback {
    builder
      .dangerous()
      .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
      .with_no_client_auth()
  } else {
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    builder.with_root_certificates(roots).with_no_client_auth()
  };
  Arc::new(config)
}

/// Accepts whatever certificate a server on this very machine shows (dev servers use
/// self-signed ones), while still checking that the handshake is signed by its key.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
  fn verify_server_cert(
    &self,
    _end_entity: &CertificateDer<'_>,
    _intermediates: &[CertificateDer<'_>],
    _server_name: &ServerName<'_>,
    _ocsp_response: &[u8],
    _now: UnixTime,
  ) -> Result<ServerCertVerified, rustls::Error> {
    Ok(ServerCertVerified::assertion())
  }

  fn verify_tls12_signature(
    &self,
    message: &[u8],
    cert: &CertificateDer<'_>,
    dss: &DigitallySignedStruct,
  ) -> Result<HandshakeSignatureValid, rustls::Error> {
    verify_tls12_signature(
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
  ) -> Result<HandshakeSignatureValid, rustls::Error> {
    verify_tls13_signature(
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
