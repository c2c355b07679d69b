//! Nicks as a room keeps, refuses and compares them.
//!
//! - Kept and shown: trimmed, then in Unicode Normalization Form C (NFC), at most
//!   [`MAX_NICK_CHARS`] characters ([`keep`]).
//! - Refused: a nick with a character that is invisible or a control, whatever the page checked:
//!   general categories Cc, Cf (zero-width characters, U+FEFF, the bidirectional controls
//!   U+200E/F, U+202A–U+202E, U+2066–U+2069), Cs, Co, Cn (unassigned in the Unicode version of
//!   the relay's ICU4X data), Zl and Zp, and every Default_Ignorable_Code_Point (fillers,
//!   variation selectors, tags).
//! - Compared: by NFKC_Casefold ([`key`]): NFKC, full Unicode case folding, NFKC again, so
//!   `Straße` and `STRASSE`, `ΑΣ`, `ασ` and `ας`, precomposed and decomposed `José`, and
//!   fullwidth `Ａｄａ` and `ada` are one nick. Confusables across scripts (Latin `a`, Cyrillic
//!   `а`) stay two nicks.
//!
//! The data is ICU4X's, compiled in: normalization, case folding and the properties come from
//! one ICU4X release, so they agree on one Unicode version.

use icu_casemap::CaseMapperBorrowed;
use icu_normalizer::ComposingNormalizerBorrowed;
use icu_properties::props::{DefaultIgnorableCodePoint, GeneralCategory};
use icu_properties::{CodePointMapData, CodePointSetData};

use crate::protocol::{ErrorCode, MAX_NICK_CHARS, Rejection};

const NFC: ComposingNormalizerBorrowed<'static> = ComposingNormalizerBorrowed::new_nfc();
const NFKC: ComposingNormalizerBorrowed<'static> = ComposingNormalizerBorrowed::new_nfkc();
const CASE: CaseMapperBorrowed<'static> = CaseMapperBorrowed::new();

/// `nick` as the room keeps and shows it: trimmed of white space and in NFC.
///
/// # Errors
///
/// A [`Rejection`] with [`ErrorCode::BadNick`]: the nick is blank, holds a character named in
/// the module's doc (the message names the first one, as `U+202E`), or is longer than
/// [`MAX_NICK_CHARS`] characters in NFC.
pub(crate) fn keep(nick: &str) -> Result<String, Rejection> {
    let kept = NFC.normalize(nick.trim());
    if let Some((c, what)) = kept.chars().find_map(|c| refused(c).map(|what| (c, what))) {
        return Err(Rejection::new(
            ErrorCode::BadNick,
            format!(
                "nick must not contain U+{:04X}, {what}: nicks are visible text",
                u32::from(c)
            ),
        ));
    }
    if kept.is_empty() {
        return Err(Rejection::new(ErrorCode::BadNick, "nick must not be blank"));
    }
    if kept.chars().count() > MAX_NICK_CHARS {
        return Err(Rejection::new(
            ErrorCode::BadNick,
            format!("nick must be at most {MAX_NICK_CHARS} characters"),
        ));
    }
    Ok(kept.into_owned())
}

/// `nick` as a room compares it, NFKC_Casefold: NFKC, full case folding (not Turkic), NFKC.
/// Two nicks clash when their keys are equal; a key of a key is the key itself.
pub(crate) fn key(nick: &str) -> String {
    let compatible = NFKC.normalize(nick);
    let folded = CASE.fold_string(&compatible);
    NFKC.normalize(&folded).into_owned()
}

/// What `c` is, when a nick may not hold it.
fn refused(c: char) -> Option<&'static str> {
    let what = match CodePointMapData::<GeneralCategory>::new().get(c) {
        GeneralCategory::Control => "a control character (Cc)",
        GeneralCategory::Format => "an invisible format or bidirectional control character (Cf)",
        GeneralCategory::Surrogate => "a surrogate (Cs)",
        GeneralCategory::PrivateUse => "a private-use character (Co)",
        GeneralCategory::Unassigned => "an unassigned code point (Cn)",
        GeneralCategory::LineSeparator => "a line separator (Zl)",
        GeneralCategory::ParagraphSeparator => "a paragraph separator (Zp)",
        _ if CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c) => {
            "a default-ignorable (invisible) character"
        }
        _ => return None,
    };
    Some(what)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(nick: &str) -> String {
        match keep(nick) {
            Ok(kept) => panic!("{nick:?} should be refused, was kept as {kept:?}"),
            Err(rejection) => {
                assert_eq!(rejection.code, ErrorCode::BadNick, "{rejection}");
                rejection.message
            }
        }
    }

    #[test]
    fn invisible_and_bidi_characters_are_refused_by_code_point() {
        for (nick, named) in [
            ("Ada\u{200B}", "U+200B"),
            ("\u{FEFF}Ada", "U+FEFF"),
            ("Ad\u{202E}a", "U+202E"),
            ("A\u{2066}da\u{2069}", "U+2066"),
            ("Ada\u{200D}", "U+200D"),
            ("Ada\u{200C}", "U+200C"),
            ("Ada\u{200E}", "U+200E"),
            ("Ada\u{200F}", "U+200F"),
            ("Ada\u{202A}", "U+202A"),
            ("Ada\u{2060}", "U+2060"),
            ("Ada\u{00AD}", "U+00AD"),
            ("Ada\u{061C}", "U+061C"),
            ("Ada\u{E0041}", "U+E0041"),
            ("a\u{0007}b", "U+0007"),
            ("A\u{0085}da", "U+0085"),
            ("A\u{2028}da", "U+2028"),
            ("A\u{2029}da", "U+2029"),
            ("Ada\u{E000}", "U+E000"),
            ("Ada\u{10FFFD}", "U+10FFFD"),
            ("Ada\u{0378}", "U+0378"),
            ("Ada\u{FFFF}", "U+FFFF"),
            ("\u{3164}", "U+3164"),
            ("\u{115F}Ada", "U+115F"),
            ("A\u{034F}da", "U+034F"),
            ("Ada\u{FE0F}", "U+FE0F"),
            ("Ada\u{180E}", "U+180E"),
        ] {
            let message = refusal(nick);
            assert!(message.contains(named), "{nick:?}: {message}");
        }
    }

    #[test]
    fn a_nick_is_kept_trimmed_and_in_nfc() {
        assert_eq!(keep("  Jose\u{301} \t"), Ok("Jos\u{E9}".to_owned()));
        assert_eq!(
            keep("Ａｄａ"),
            Ok("Ａｄａ".to_owned()),
            "NFC keeps fullwidth letters"
        );
        assert_eq!(keep("Ada Lovelace"), Ok("Ada Lovelace".to_owned()));
        assert_eq!(keep("é✓ 李 ☃"), Ok("é✓ 李 ☃".to_owned()));
        assert!(refusal(" \u{3000} ").contains("blank"));
        assert!(refusal("").contains("blank"));
    }

    #[test]
    fn the_length_limit_counts_the_kept_form() {
        let decomposed = "e\u{301}".repeat(MAX_NICK_CHARS);
        assert_eq!(
            keep(&decomposed).map(|kept| kept.chars().count()),
            Ok(MAX_NICK_CHARS)
        );
        // U+0958 is excluded from composition: NFC makes two characters of it.
        let expanding = "\u{958}".repeat(MAX_NICK_CHARS / 2 + 1);
        assert!(refusal(&expanding).contains("at most"));
        assert!(keep(&"\u{958}".repeat(MAX_NICK_CHARS / 2)).is_ok());
    }

    #[test]
    fn nicks_compare_by_nfkc_casefold() {
        for (a, b) in [
            ("Straße", "STRASSE"),
            ("ΑΣ", "ασ"),
            ("ΑΣ", "ας"),
            ("Jos\u{E9}", "Jose\u{301}"),
            ("Ａｄａ", "ada"),
            ("ǅemal", "DŽEMAL"),
            ("ﬁsh", "FISH"),
            ("Ada\u{A0}Lovelace", "ada lovelace"),
            ("K", "\u{212A}"),
            ("Ångström", "A\u{30A}NGSTRO\u{308}M"),
            ("ᾼ", "αι"),
        ] {
            assert_eq!(key(a), key(b), "{a:?} and {b:?}");
        }
        for (a, b) in [("Ada", "Adb"), ("Ada", "Ada "), ("a", "а"), ("İ", "i")] {
            assert_ne!(key(a), key(b), "{a:?} and {b:?}");
        }
    }

    #[test]
    fn a_key_is_its_own_key_for_every_allowed_character() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            if refused(c).is_some() {
                continue;
            }
            let once = key(&c.to_string());
            assert_eq!(key(&once), once, "U+{:04X}", u32::from(c));
        }
    }
}
