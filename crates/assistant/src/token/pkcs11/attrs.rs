//! The attributes read back from an object.

use cryptoki::object::Attribute;

pub(super) fn label_of(attrs: &[Attribute]) -> String {
    attrs
        .iter()
        .find_map(|a| match a {
            Attribute::Label(l) => Some(String::from_utf8_lossy(l).into_owned()),
            _ => None,
        })
        .unwrap_or_default()
}

pub(super) fn id_of(attrs: &[Attribute]) -> Vec<u8> {
    attrs
        .iter()
        .find_map(|a| match a {
            Attribute::Id(v) => Some(v.clone()),
            _ => None,
        })
        .unwrap_or_default()
}
