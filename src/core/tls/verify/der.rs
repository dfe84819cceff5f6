//! The parts of an X.509 certificate rsnet reads itself, whatever its version.
//!
//! webpki parses only v3 certificates; OpenSSL (so Node) also takes v1 ones, which
//! Node's own test certificates are. Reading the fields below by hand lets a v1
//! certificate's key check handshake signatures and its chain be judged. Any
//! malformed input is `None`, never a panic: every read is bounds-checked.

/// A certificate's fields, each borrowed from its DER.
pub struct Cert<'a> {
    /// The TBSCertificate, tag and length included: what the issuer signed.
    pub tbs: &'a [u8],
    /// 0 for v1 (no `[0]` version field), 2 for v3.
    pub version: u8,
    pub issuer: &'a [u8],
    pub subject: &'a [u8],
    /// Validity, in seconds since the Unix epoch.
    pub not_before: i64,
    pub not_after: i64,
    /// The SubjectPublicKeyInfo, tag and length included.
    pub spki: &'a [u8],
    /// The contents of the outer signatureAlgorithm (no SEQUENCE header), as
    /// `SignatureVerificationAlgorithm::signature_alg_id()` gives them.
    pub signature_alg: &'a [u8],
    /// The signature's bits.
    pub signature: &'a [u8],
}

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;
const VERSION: u8 = 0xa0;

/// A cursor over DER elements.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    /// The next element: (tag, contents, whole element).
    fn next(&mut self) -> Option<(u8, &'a [u8], &'a [u8])> {
        let input = self.0;
        let tag = *input.first()?;
        let first = *input.get(1)? as usize;
        let (len, header) = if first < 0x80 {
            (first, 2)
        } else {
            // Long form, at most 4 length bytes: no certificate is bigger.
            let count = first & 0x7f;
            if count == 0 || count > 4 {
                return None;
            }
            let bytes = input.get(2..2 + count)?;
            let len = bytes.iter().fold(0usize, |acc, b| (acc << 8) | *b as usize);
            (len, 2 + count)
        };
        let end = header.checked_add(len)?;
        let contents = input.get(header..end)?;
        let whole = &input[..end];
        self.0 = &input[end..];
        Some((tag, contents, whole))
    }
    fn expect(&mut self, tag: u8) -> Option<(&'a [u8], &'a [u8])> {
        match self.next()? {
            (t, contents, whole) if t == tag => Some((contents, whole)),
            _ => None,
        }
    }
    fn peek_tag(&self) -> Option<u8> {
        self.0.first().copied()
    }
}

/// Reads a certificate; `None` if it is not well-formed DER of that shape.
pub fn parse(der: &[u8]) -> Option<Cert<'_>> {
    let mut outer = Reader(der);
    let (cert, _) = outer.expect(SEQUENCE)?;
    if !outer.0.is_empty() {
        return None;
    }
    let mut cert = Reader(cert);
    let (tbs_contents, tbs) = cert.expect(SEQUENCE)?;
    let (signature_alg, _) = cert.expect(SEQUENCE)?;
    let (bits, _) = cert.expect(BIT_STRING)?;
    let (&unused, signature) = bits.split_first()?;
    if unused != 0 || !cert.0.is_empty() {
        return None;
    }
    let mut fields = Reader(tbs_contents);
    let version = if fields.peek_tag()? == VERSION {
        let (explicit, _) = fields.expect(VERSION)?;
        match Reader(explicit).expect(INTEGER)?.0 {
            [v @ 0..=2] => *v,
            _ => return None,
        }
    } else {
        0
    };
    fields.expect(INTEGER)?; // serialNumber
    fields.expect(SEQUENCE)?; // signature (the TBS copy of the algorithm)
    let (_, issuer) = fields.expect(SEQUENCE)?;
    let (validity, _) = fields.expect(SEQUENCE)?;
    let mut validity = Reader(validity);
    let not_before = time(validity.next()?)?;
    let not_after = time(validity.next()?)?;
    let (_, subject) = fields.expect(SEQUENCE)?;
    let (_, spki) = fields.expect(SEQUENCE)?;
    Some(Cert {
        tbs,
        version,
        issuer,
        subject,
        not_before,
        not_after,
        spki,
        signature_alg,
        signature,
    })
}

/// A SubjectPublicKeyInfo's algorithm (contents, as `public_key_alg_id()` gives
/// them) and key bits.
pub fn spki_parts(spki: &[u8]) -> Option<(&[u8], &[u8])> {
    let (contents, _) = Reader(spki).expect(SEQUENCE)?;
    let mut fields = Reader(contents);
    let (algorithm, _) = fields.expect(SEQUENCE)?;
    let (bits, _) = fields.expect(BIT_STRING)?;
    match bits.split_first()? {
        (0, key) if fields.0.is_empty() => Some((algorithm, key)),
        _ => None,
    }
}

/// UTCTime (YYMMDDHHMMSSZ, 50-99 meaning 19xx) or GeneralizedTime (YYYYMMDDHHMMSSZ).
fn time((tag, contents, _): (u8, &[u8], &[u8])) -> Option<i64> {
    let (year, rest) = match tag {
        UTC_TIME if contents.len() == 13 => {
            let yy = digits(&contents[..2])?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &contents[2..])
        }
        GENERALIZED_TIME if contents.len() == 15 => (digits(&contents[..4])?, &contents[4..]),
        _ => return None,
    };
    if rest[10] != b'Z' {
        return None;
    }
    let [month, day, hour, minute, second] = [0, 2, 4, 6, 8].map(|at| digits(&rest[at..at + 2]));
    let (month, day) = (month?, day?);
    let (hour, minute, second) = (hour?, minute?, second?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

fn digits(text: &[u8]) -> Option<i64> {
    text.iter().try_fold(0i64, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + i64::from(b - b'0'))
    })
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed v1 certificate (P-256, CN=v1), valid from 2026-12-07 23:19:03
    /// (UTCTime) to 2126-11-13 23:19:03 (GeneralizedTime), made with
    /// `openssl x509 -req -signkey`.
    const V1_HEX: &str = concat!(
        "308201163081bd021427494d17390ad306d607d3b2298a78aa087eab71300a06082a8648ce3d0403",
        "02300d310b300906035504030c0276313020170d3236313230373233313930335a180f3231323631",
        "3131333233313930335a300d310b300906035504030c0276313059301306072a8648ce3d02010608",
        "2a8648ce3d030107034200041df53c16a76530c0f1b363a33e57d39edbe16ccb900b244a4ba52ceb",
        "13f4c1d4e065e2191df0ff3d9a187c2354bc7bc210161e32ac9445d4b0d23ed42f16f76e300a0608",
        "2a8648ce3d0403020348003045022100892788e5807eca7d96247d08751a88f22dd78f7e55754e8d",
        "03022ff7778cb4cd02202528ede74b15bae5303007127bc33762ae250de849dbaed2d46ed46bd4ff",
        "59b7",
    );

    fn v1_der() -> Vec<u8> {
        (0..V1_HEX.len())
            .step_by(2)
            .map(|at| u8::from_str_radix(&V1_HEX[at..at + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn reads_a_v1_certificate() {
        let der = v1_der();
        let cert = parse(&der).expect("a well-formed v1 certificate");
        assert_eq!(cert.version, 0);
        assert_eq!(cert.issuer, cert.subject);
        let at = |y, m, d| days_from_civil(y, m, d) * 86_400 + 23 * 3600 + 19 * 60 + 3;
        assert_eq!(cert.not_before, at(2026, 12, 7));
        assert_eq!(cert.not_after, at(2126, 11, 13));
        let (algorithm, key) = spki_parts(cert.spki).unwrap();
        assert_eq!(algorithm.len(), 19); // ecPublicKey, prime256v1
        assert_eq!((key.len(), key[0]), (65, 4)); // an uncompressed point
        assert_eq!(cert.signature_alg.len(), 10); // ecdsa-with-SHA256
    }

    #[test]
    fn truncated_or_corrupted_never_panics() {
        let der = v1_der();
        for len in 0..der.len() {
            assert!(parse(&der[..len]).is_none(), "truncated to {len}");
        }
        for at in 0..der.len() {
            for flip in [0x01, 0x80, 0xff] {
                let mut bad = der.clone();
                bad[at] ^= flip;
                if let Some(cert) = parse(&bad) {
                    let _ = spki_parts(cert.spki);
                }
            }
        }
    }

    #[test]
    fn dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        let utc = time((UTC_TIME, b"491231235959Z", b"")).unwrap();
        let general = time((GENERALIZED_TIME, b"20491231235959Z", b"")).unwrap();
        assert_eq!(utc, general);
        assert_eq!(time((UTC_TIME, b"700101000000Z", b"")), Some(0));
    }

    #[test]
    fn malformed_is_none() {
        assert!(parse(&[]).is_none());
        assert!(parse(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_none());
        assert!(parse(&[0x30, 0x03, 0x30, 0x01]).is_none());
        assert!(time((UTC_TIME, b"49123123595xZ", b"")).is_none());
        assert!(spki_parts(&[0x30, 0x00]).is_none());
    }
}
