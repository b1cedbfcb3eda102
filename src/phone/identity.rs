//! A phone's identity from what it says about itself: the DHCP hostname
//! `SEP<mac>`, the vendor class (option 60), file names it asks for, and
//! User-Agent strings such as `Cisco-CP-8865-3PCC/12.0.2`.

/// Model found in a vendor class, file name or User-Agent, e.g.
/// `CP-8851-3PCC` from "Cisco Systems, Inc. IP Phone CP-8851-3PCC" or
/// `CP-8845-3PCC` from "Cisco-CP8845-3PCC/12.0.1". ATA models too.
pub fn model_from(text: &str) -> Option<String> {
    let up = text.to_ascii_uppercase();
    for (start, _) in up.char_indices() {
        let rest = &up[start..];
        let after = if let Some(r) = rest.strip_prefix("CP-") {
            r
        } else if let Some(r) = rest.strip_prefix("CP") {
            r
        } else if let Some(r) = rest.strip_prefix("ATA") {
            let digits: String = r.chars().take_while(|c| c.is_ascii_digit()).collect();
            if digits.len() == 3 {
                return Some(format!("ATA{digits}"));
            }
            continue;
        } else {
            continue;
        };
        let digits: String = after.chars().take_while(|c| c.is_ascii_digit()).collect();
        if digits.len() != 4 {
            continue;
        }
        let tail = &after[4..];
        // Letters and "-3PCC"-style parts; a "-12.0.1" version ends the model.
        let mut suffix = String::new();
        let mut chars = tail.chars();
        while let Some(c) = chars.next() {
            let keep = c.is_ascii_alphanumeric()
                || (c == '-' && tail_has_letters_before_dot(chars.clone()));
            if keep {
                suffix.push(c);
            } else {
                break;
            }
        }
        let suffix = suffix.trim_end_matches('-');
        return Some(if suffix.is_empty() {
            format!("CP-{digits}")
        } else {
            format!("CP-{digits}{suffix}")
        });
    }
    None
}

/// True when the part after a '-' is a model part (letters before any dot,
/// like `3PCC`), false for a version such as `12.0.1`.
fn tail_has_letters_before_dot(rest: impl Iterator<Item = char>) -> bool {
    for c in rest {
        if c.is_ascii_alphabetic() {
            return true;
        }
        if !c.is_ascii_digit() {
            return false;
        }
    }
    false
}

/// Firmware version after the model in a User-Agent: the first dotted
/// number after a '/' or '-' (`Cisco-CP-8865-3PCC/12.0.2`,
/// `Cisco/CP-8845-3PCC-12.0.1`).
pub fn firmware_from_user_agent(ua: &str) -> Option<String> {
    for (i, _) in ua.match_indices(['/', '-', ' ']) {
        let rest = ua.get(i + 1..)?;
        let number: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        let dotted = number.contains('.') && !number.starts_with('.') && !number.ends_with('.');
        if dotted {
            // Keep a release suffix such as "SR1" in "11.3.7SR1".
            let tail: String = rest[number.len()..]
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect();
            return Some(number + &tail);
        }
    }
    None
}

/// The MAC inside a `SEP<12 hex>` hostname or file name, lowercase
/// colon-separated.
pub fn mac_from_sep(text: &str) -> Option<[u8; 6]> {
    let up = text.to_ascii_uppercase();
    let pos = up.find("SEP")?;
    let hex = up.get(pos + 3..pos + 15)?;
    let mut mac = [0u8; 6];
    for (i, b) in mac.iter_mut().enumerate() {
        *b = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(mac)
}

/// The MAC an MPP phone puts in its User-Agent, in parentheses after the
/// firmware: `Cisco-CP-8851-3PCC/12.0.2 (00005E005301)`.
pub fn mac_from_user_agent(ua: &str) -> Option<[u8; 6]> {
    let inside = ua.rsplit_once('(')?.1.split_once(')')?.0.trim();
    if inside.len() != 12 || !inside.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut mac = [0u8; 6];
    for (i, b) in mac.iter_mut().enumerate() {
        *b = u8::from_str_radix(inside.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(mac)
}

/// Vendor class or hostname that names an IP phone.
pub fn looks_like_phone_vendor(vendor_class: &str) -> bool {
    let v = vendor_class.to_ascii_lowercase();
    v.contains("ip phone") || v.contains("3pcc") || model_from(vendor_class).is_some()
}

/// Vendor classes (option 60) that name another kind of device than a
/// phone: a network boot ROM (PXE, RFC 4578; UEFI HTTP boot), a print
/// server, a PC's or a handset's operating system. Such a client asking
/// for option 66 wants a boot or firmware server, not a phone's profile.
const OTHER_DEVICE_CLASSES: [&str; 8] = [
    "pxeclient",
    "httpclient",
    "jetdirect",
    "laserjet",
    "officejet",
    "printer",
    "msft ",
    "android-dhcp",
];

/// Whether the vendor class names a device that is not a phone.
pub fn names_other_device(vendor_class: &str) -> bool {
    let v = vendor_class.to_ascii_lowercase();
    !looks_like_phone_vendor(vendor_class) && OTHER_DEVICE_CLASSES.iter().any(|c| v.contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_classes_of_other_devices() {
        for other in [
            "Hewlett-Packard JetDirect",
            "PXEClient:Arch:00000:UNDI:002001",
            "HTTPClient:Arch:00016:UNDI:003001",
            "MSFT 5.0",
            "android-dhcp-13",
        ] {
            assert!(names_other_device(other), "{other}");
        }
        for phone in ["Cisco Systems, Inc. IP Phone CP-8851-3PCC", "udhcp 1.36.1"] {
            assert!(!names_other_device(phone), "{phone}");
        }
    }

    #[test]
    fn the_mac_in_an_mpp_user_agent() {
        let ua = "Cisco-CP-8851-3PCC/12.0.2 (00005E005301)";
        assert_eq!(mac_from_user_agent(ua), Some([0, 0, 0x5e, 0, 0x53, 1]));
        assert_eq!(
            mac_from_user_agent("Cisco-CP8851/14.2 (00005e0053ff)").map(|m| m[5]),
            Some(0xff)
        );
        for not in [
            "baresip 1.0",
            "Zoiper (Linux)",
            "x (00005E00530)",
            "x (00005E00530G)",
        ] {
            assert_eq!(mac_from_user_agent(not), None, "{not}");
        }
    }

    #[test]
    fn models_from_vendor_class_and_user_agents() {
        let vc = "Cisco Systems, Inc. IP Phone CP-8851-3PCC";
        assert_eq!(model_from(vc).as_deref(), Some("CP-8851-3PCC"));
        assert_eq!(
            model_from("Cisco-CP8845-3PCC/12.0.1").as_deref(),
            Some("CP-8845-3PCC")
        );
        assert_eq!(
            model_from("Cisco-CP-8865-3PCC/12.0.2").as_deref(),
            Some("CP-8865-3PCC")
        );
        assert_eq!(model_from("Cisco/ATA192-1.2.5").as_deref(), Some("ATA192"));
        assert_eq!(model_from("MSFT 5.0"), None);
        assert_eq!(model_from("CP-8845.xml").as_deref(), Some("CP-8845"));
        let ua = "Cisco/CP-8845-3PCC-12.0.1";
        assert_eq!(model_from(ua).as_deref(), Some("CP-8845-3PCC"));
        assert_eq!(firmware_from_user_agent(ua).as_deref(), Some("12.0.1"));
        assert_eq!(
            model_from("CP-8851-3PCC.xml").as_deref(),
            Some("CP-8851-3PCC")
        );
    }

    #[test]
    fn firmware_and_sep() {
        assert_eq!(
            firmware_from_user_agent("Cisco-CP-8865-3PCC/12.0.2").as_deref(),
            Some("12.0.2")
        );
        assert_eq!(firmware_from_user_agent("Zoiper rv2.8"), None);
        assert_eq!(
            mac_from_sep("SEP14A2A0E0837A"),
            Some([0x14, 0xa2, 0xa0, 0xe0, 0x83, 0x7a])
        );
        assert_eq!(
            mac_from_sep("SEP14A2A0E0837A.cnf.xml").map(|m| m[5]),
            Some(0x7a)
        );
        assert_eq!(mac_from_sep("SEPXYZ"), None);
    }
}
