//! Places' names in English: the official English names of the provinces
//! and of the prefectures whose English name is not their pinyin (喀什地区 →
//! Kashgar Prefecture), and for every other place its pinyin with the word
//! for its kind of division (伽师县 → Jiashi County, 巴仁镇 → Baren Town).
//!
//! Works from the name alone, so a name read anywhere (a chain, a report
//! row, an order's delivery line) can be put into English by the pages.
//! Pinyin comes from the `pinyin` crate (mozillazg/rust-pinyin, the
//! Unicode Han database's readings); a character with several readings
//! gets its first one, except the few whose place-name reading differs,
//! kept in [`PLACE_READINGS`].
//!
//! 西藏自治区 is "Xizang (Tibet) Autonomous Region": the Chinese
//! government writes Xizang in English since 2023; Tibet stays beside it
//! for readers who know the region by that name.

use pinyin::ToPinyin;

/// The 31 provincial divisions in their official English names.
const PROVINCES: &[(&str, &str)] = &[
    ("北京市", "Beijing Municipality"),
    ("天津市", "Tianjin Municipality"),
    ("河北省", "Hebei Province"),
    ("山西省", "Shanxi Province"),
    ("内蒙古自治区", "Inner Mongolia Autonomous Region"),
    ("辽宁省", "Liaoning Province"),
    ("吉林省", "Jilin Province"),
    ("黑龙江省", "Heilongjiang Province"),
    ("上海市", "Shanghai Municipality"),
    ("江苏省", "Jiangsu Province"),
    ("浙江省", "Zhejiang Province"),
    ("安徽省", "Anhui Province"),
    ("福建省", "Fujian Province"),
    ("江西省", "Jiangxi Province"),
    ("山东省", "Shandong Province"),
    ("河南省", "Henan Province"),
    ("湖北省", "Hubei Province"),
    ("湖南省", "Hunan Province"),
    ("广东省", "Guangdong Province"),
    ("广西壮族自治区", "Guangxi Zhuang Autonomous Region"),
    ("海南省", "Hainan Province"),
    ("重庆市", "Chongqing Municipality"),
    ("四川省", "Sichuan Province"),
    ("贵州省", "Guizhou Province"),
    ("云南省", "Yunnan Province"),
    ("西藏自治区", "Xizang (Tibet) Autonomous Region"),
    ("陕西省", "Shaanxi Province"),
    ("甘肃省", "Gansu Province"),
    ("青海省", "Qinghai Province"),
    ("宁夏回族自治区", "Ningxia Hui Autonomous Region"),
    ("新疆维吾尔自治区", "Xinjiang Uygur Autonomous Region"),
];

/// Places whose established English name is not their pinyin: the
/// prefectures of Xinjiang and Xizang (the demo's 喀什 and 昌都 among
/// them) and a few of their cities and counties the demo pairs.
const KNOWN: &[(&str, &str)] = &[
    ("喀什地区", "Kashgar Prefecture"),
    ("喀什市", "Kashgar City"),
    ("和田地区", "Hotan Prefecture"),
    ("和田市", "Hotan City"),
    ("阿克苏地区", "Aksu Prefecture"),
    ("阿克苏市", "Aksu City"),
    ("克孜勒苏柯尔克孜自治州", "Kizilsu Kirgiz Autonomous Prefecture"),
    ("伊犁哈萨克自治州", "Ili Kazak Autonomous Prefecture"),
    ("博尔塔拉蒙古自治州", "Bortala Mongol Autonomous Prefecture"),
    ("巴音郭楞蒙古自治州", "Bayingolin Mongol Autonomous Prefecture"),
    ("阿勒泰地区", "Altay Prefecture"),
    ("乌鲁木齐市", "Urumqi City"),
    ("克拉玛依市", "Karamay City"),
    ("吐鲁番市", "Turpan City"),
    ("塔什库尔干塔吉克自治县", "Taxkorgan Tajik Autonomous County"),
    ("拉萨市", "Lhasa City"),
    ("日喀则市", "Shigatse City"),
    ("昌都市", "Qamdo City"),
    ("林芝市", "Nyingchi City"),
    ("那曲市", "Nagqu City"),
    ("阿里地区", "Ngari Prefecture"),
    ("呼和浩特市", "Hohhot City"),
    ("浦东新区", "Pudong New Area"),
];

/// Kinds of division by the end of their names, longest first, and their
/// English words.
const SUFFIXES: &[(&str, &str)] = &[
    ("街道办事处", "Subdistrict"),
    ("自治州", "Autonomous Prefecture"),
    ("自治县", "Autonomous County"),
    ("自治旗", "Autonomous Banner"),
    ("民族乡", "Ethnic Township"),
    ("办事处", "Subdistrict"),
    ("街道", "Subdistrict"),
    ("地区", "Prefecture"),
    ("社区", "Community"),
    ("新区", "New Area"),
    ("林区", "Forestry District"),
    ("特区", "Special District"),
    ("农场", "Farm"),
    ("牧场", "Ranch"),
    ("林场", "Forest Farm"),
    ("苏木", "Sumu"),
    ("嘎查", "Gacha"),
    ("省", "Province"),
    ("盟", "League"),
    ("州", "Prefecture"),
    ("市", "City"),
    ("县", "County"),
    ("区", "District"),
    ("旗", "Banner"),
    ("乡", "Township"),
    ("镇", "Town"),
    ("村", "Village"),
];

/// Peoples named in autonomous divisions, by their Chinese names (with and
/// without 族), in the English the divisions' official names use.
const PEOPLES: &[(&str, &str)] = &[
    ("维吾尔", "Uygur"),
    ("土家", "Tujia"),
    ("苗", "Miao"),
    ("藏", "Tibetan"),
    ("回", "Hui"),
    ("蒙古", "Mongol"),
    ("哈萨克", "Kazak"),
    ("柯尔克孜", "Kirgiz"),
    ("塔吉克", "Tajik"),
    ("锡伯", "Xibe"),
    ("彝", "Yi"),
    ("壮", "Zhuang"),
    ("布依", "Bouyei"),
    ("侗", "Dong"),
    ("傣", "Dai"),
    ("白", "Bai"),
    ("哈尼", "Hani"),
    ("景颇", "Jingpo"),
    ("傈僳", "Lisu"),
    ("羌", "Qiang"),
    ("朝鲜", "Korean"),
    ("土", "Tu"),
    ("撒拉", "Salar"),
    ("瑶", "Yao"),
    ("黎", "Li"),
    ("满", "Manchu"),
    ("畲", "She"),
    ("仫佬", "Mulao"),
    ("毛南", "Maonan"),
    ("仡佬", "Gelao"),
    ("水", "Shui"),
    ("达斡尔", "Daur"),
    ("鄂温克", "Evenki"),
    ("鄂伦春", "Oroqen"),
    ("保安", "Bonan"),
    ("东乡", "Dongxiang"),
    ("裕固", "Yugur"),
    ("纳西", "Naxi"),
    ("拉祜", "Lahu"),
    ("佤", "Va"),
    ("普米", "Pumi"),
    ("独龙", "Derung"),
    ("怒", "Nu"),
    ("布朗", "Blang"),
    ("阿昌", "Achang"),
    ("德昂", "De'ang"),
    ("基诺", "Jino"),
    ("各族", ""),
];

/// Characters whose reading in place names is not their first reading:
/// 伽师 Jiashi, 厦门 Xiamen, 重庆 Chongqing, 长沙 Changsha, 成都 Chengdu,
/// 喀什 Kashi, 蚌埠 Bengbu.
const PLACE_READINGS: &[(char, &str)] =
    &[('伽', "jia"), ('厦', "xia"), ('重', "chong"), ('长', "chang"), ('都', "du"), ('什', "shi"), ('蚌', "beng"), ('藏', "zang")];

/// A place's name in English: `伽师县` → `Jiashi County`, `喀什地区` →
/// `Kashgar Prefecture`, `巴仁村委会` → `Baren Village`. A name with no
/// Chinese in it comes back as it is.
pub fn english_name(name: &str) -> String {
    let name = super::short_name(name.trim());
    if !name.chars().any(is_han) {
        return name;
    }
    if let Some((_, en)) = PROVINCES.iter().chain(KNOWN).find(|(zh, _)| *zh == name) {
        return (*en).to_owned();
    }
    for (suffix, word) in SUFFIXES {
        let Some(stem) = name.strip_suffix(suffix) else { continue };
        if stem.is_empty() {
            break;
        }
        if suffix.starts_with("自治") {
            let (place, peoples) = split_peoples(stem);
            let mut out = pinyin_word(place);
            if !peoples.is_empty() {
                out.push(' ');
                out.push_str(&and_list(&peoples));
            }
            return format!("{out} {word}");
        }
        return format!("{} {word}", pinyin_word(stem));
    }
    pinyin_word(&name)
}

/// `Jiashi County (伽师县)`: the English name with the Chinese beside it,
/// for the place a line is about (people there write and say the Chinese).
pub fn english_with_chinese(name: &str) -> String {
    let zh = super::short_name(name.trim());
    let en = english_name(&zh);
    if en == zh { zh } else { format!("{en} ({zh})") }
}

/// Splits the peoples off the end of an autonomous division's stem:
/// `恩施土家族苗族` → (`恩施`, [Tujia, Miao]).
fn split_peoples(stem: &str) -> (&str, Vec<&'static str>) {
    let mut rest = stem;
    let mut found = Vec::new();
    'outer: loop {
        for (zh, en) in PEOPLES {
            for form in [format!("{zh}族"), (*zh).to_owned()] {
                if let Some(before) = rest.strip_suffix(form.as_str())
                    && !before.is_empty()
                {
                    if !en.is_empty() {
                        found.push(*en);
                    }
                    rest = before;
                    continue 'outer;
                }
            }
        }
        break;
    }
    found.reverse();
    (rest, found)
}

/// `Tujia and Miao`, `A, B and C`.
fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3400}'..='\u{4dbf}').contains(&c)
}

/// The pinyin of a name written as one word, as place names are: first
/// letter capital, an apostrophe before a syllable that starts with a
/// vowel (西安 → Xi'an); characters that are not Chinese are kept.
fn pinyin_word(text: &str) -> String {
    let mut out = String::new();
    for (c, reading) in text.chars().zip(text.to_pinyin()) {
        let syllable = PLACE_READINGS.iter().find(|(ch, _)| *ch == c).map(|(_, r)| *r).or_else(|| reading.map(|p| p.plain()));
        match syllable {
            Some(s) => {
                if out.chars().last().is_some_and(|l| l.is_alphabetic()) && s.starts_with(['a', 'e', 'o']) {
                    out.push('\'');
                }
                out.push_str(s);
            }
            None => out.push(c),
        }
    }
    let mut chars = out.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counties_townships_and_villages_read_as_pinyin_with_their_kind() {
        assert_eq!(english_name("伽师县"), "Jiashi County");
        assert_eq!(english_name("莎车县"), "Shache County");
        assert_eq!(english_name("卡若区"), "Karuo District");
        assert_eq!(english_name("巴仁镇"), "Baren Town");
        assert_eq!(english_name("英买里乡"), "Yingmaili Township");
        assert_eq!(english_name("巴仁村委会"), "Baren Village");
        assert_eq!(english_name("嘎托居委会"), "Gatuo Community");
        assert_eq!(english_name("西湖街道"), "Xihu Subdistrict");
        assert_eq!(english_name("厦门市"), "Xiamen City");
        assert_eq!(english_name("西安市"), "Xi'an City");
    }

    #[test]
    fn provinces_and_the_demo_prefectures_have_their_official_names() {
        assert_eq!(PROVINCES.len(), 31);
        assert_eq!(english_name("新疆维吾尔自治区"), "Xinjiang Uygur Autonomous Region");
        assert_eq!(english_name("西藏自治区"), "Xizang (Tibet) Autonomous Region");
        assert_eq!(english_name("重庆市"), "Chongqing Municipality");
        assert_eq!(english_name("喀什地区"), "Kashgar Prefecture");
        assert_eq!(english_name("昌都市"), "Qamdo City");
        assert_eq!(english_name("恩施土家族苗族自治州"), "Enshi Tujia and Miao Autonomous Prefecture");
        assert_eq!(english_name("长阳土家族自治县"), "Changyang Tujia Autonomous County");
    }

    #[test]
    fn the_chinese_name_stands_beside_the_english_where_it_identifies_the_place() {
        assert_eq!(english_with_chinese("伽师县"), "Jiashi County (伽师县)");
        assert_eq!(english_with_chinese("巴仁村委会"), "Baren Village (巴仁村)");
        assert_eq!(english_with_chinese("Kashgar"), "Kashgar");
    }
}
