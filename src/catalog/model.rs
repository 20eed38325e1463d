//! Catalogue types: what a product is, as stored and as shown.

use crate::money::Fen;
use crate::regions::ChainLink;
use serde::{Deserialize, Serialize};

/// How a product must be kept; decides which nodes it may pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Storage {
    /// 常温
    Ambient,
    /// 冷藏
    Chilled,
    /// 冷冻
    Frozen,
}

named_enum!(Storage { Ambient => "ambient", Chilled => "chilled", Frozen => "frozen" });

impl Storage {
    /// Label in Chinese and English.
    pub fn label(self, english: bool) -> &'static str {
        match (self, english) {
            (Storage::Ambient, false) => "常温",
            (Storage::Chilled, false) => "冷藏",
            (Storage::Frozen, false) => "冷冻",
            (Storage::Ambient, true) => "ambient",
            (Storage::Chilled, true) => "chilled",
            (Storage::Frozen, true) => "frozen",
        }
    }
}

/// Kinds of certificate a product may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateKind {
    /// 扶贫产品认定
    PovertyAlleviation,
    /// 地理标志
    GeographicIndication,
    /// 绿色食品
    GreenFood,
    /// 有机产品
    Organic,
}

named_enum!(CertificateKind { PovertyAlleviation => "poverty_alleviation", GeographicIndication => "geographic_indication", GreenFood => "green_food", Organic => "organic" });

impl CertificateKind {
    /// Label in Chinese and English.
    pub fn label(self, english: bool) -> &'static str {
        match (self, english) {
            (CertificateKind::PovertyAlleviation, false) => "扶贫产品",
            (CertificateKind::GeographicIndication, false) => "地理标志",
            (CertificateKind::GreenFood, false) => "绿色食品",
            (CertificateKind::Organic, false) => "有机产品",
            (CertificateKind::PovertyAlleviation, true) => "Poverty-alleviation product",
            (CertificateKind::GeographicIndication, true) => "Geographic indication",
            (CertificateKind::GreenFood, true) => "Green food",
            (CertificateKind::Organic, true) => "Organic",
        }
    }
}

/// A product category with its labels.
#[derive(Debug, Clone, Copy)]
pub struct Category {
    /// API / database name.
    pub slug: &'static str,
    /// 中文
    pub zh: &'static str,
    /// English
    pub en: &'static str,
}

/// The categories of the catalogue.
pub const CATEGORIES: &[Category] = &[
    Category { slug: "fruit", zh: "新鲜水果", en: "Fresh fruit" },
    Category { slug: "dried_fruit", zh: "果干蜜饯", en: "Dried fruit" },
    Category { slug: "nuts", zh: "坚果", en: "Nuts" },
    Category { slug: "meat", zh: "肉类", en: "Meat" },
    Category { slug: "grain_oil", zh: "粮油", en: "Grain and oil" },
    Category { slug: "tea", zh: "茶叶", en: "Tea" },
    Category { slug: "vegetables", zh: "蔬菜", en: "Vegetables" },
    Category { slug: "mushrooms", zh: "菌菇", en: "Mushrooms" },
    Category { slug: "dairy", zh: "乳制品", en: "Dairy" },
    Category { slug: "honey", zh: "蜂蜜", en: "Honey" },
    Category { slug: "specialty", zh: "地方特产", en: "Local specialities" },
];

/// The category named `slug`.
pub fn category(slug: &str) -> Option<&'static Category> {
    CATEGORIES.iter().find(|c| c.slug == slug)
}

/// Unit price from a quantity on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceTier {
    /// Smallest quantity (in the product's unit) this price applies to.
    pub min_quantity: i64,
    /// Price per unit.
    pub unit_price_fen: Fen,
}

/// A certificate as shown.
#[derive(Debug, Clone, Serialize)]
pub struct Certificate {
    /// Which kind.
    pub kind: CertificateKind,
    /// Its number.
    pub number: String,
    /// Last day of validity, YYYY-MM-DD.
    pub valid_until: String,
}

impl Certificate {
    /// True when the certificate is valid on `today` (YYYY-MM-DD).
    pub fn valid_on(&self, today: &str) -> bool {
        self.valid_until.as_str() >= today
    }
}

/// A certificate as given when creating a product.
#[derive(Debug, Clone, Deserialize)]
pub struct NewCertificate {
    /// poverty_alleviation, geographic_indication, green_food or organic
    pub kind: String,
    /// Its number.
    pub number: String,
    /// YYYY-MM-DD
    pub valid_until: String,
}

/// The origin tag of a product.
#[derive(Debug, Clone, Serialize)]
pub struct Origin {
    /// The village, 12 digits.
    pub code: String,
    /// Province down to village.
    pub chain: Vec<ChainLink>,
    /// `新疆维吾尔自治区 › 喀什地区 › 伽师县 › 巴仁镇 › 巴仁村`
    pub label: String,
}

/// The cooperative selling a product.
#[derive(Debug, Clone, Serialize)]
pub struct CooperativeRef {
    /// Opaque id.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub id: i64,
    /// Name.
    pub name: String,
    /// Its English name, where its managers gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
}

/// A product as the storefront and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct Product {
    /// Opaque id.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub id: i64,
    /// Name, in Chinese.
    pub name: String,
    /// Name in English, where given.
    pub name_en: Option<String>,
    /// Category slug.
    pub category: String,
    /// Selling unit; quantities are whole numbers of it.
    pub unit: String,
    /// Specification (grade, packing).
    pub spec: String,
    /// Storage class.
    pub storage: Storage,
    /// Weight of one unit in grams (packed); `None` for a product listed
    /// before weights were required, until its cooperative gives it.
    pub unit_weight_g: Option<i64>,
    /// Ascending by quantity, descending by price.
    pub price_tiers: Vec<PriceTier>,
    /// Units on unexpired lots not held by orders.
    pub available: i64,
    /// Where it is grown.
    pub origin: Origin,
    /// Who sells it.
    pub cooperative: CooperativeRef,
    /// Certificates.
    pub certificates: Vec<Certificate>,
    /// Distinct households that contributed to its lots.
    pub households_supported: i64,
    /// Of those, registered poor households.
    pub registered_poor_supported: i64,
    /// Free text.
    pub description: String,
    /// Units sold so far.
    pub sales_count: i64,
    /// When listed.
    pub created_at: String,
    /// Photos, the cover first (none: the pages draw an illustration), as
    /// `{id, thumb_url, card_url, full_url}`.
    pub photos: Vec<Photo>,
}

/// One photo of a product, as stored: its files are
/// `photos::file_name(id, key, box)` for each of `photos::VARIANT_BOXES`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    /// Row id (also in the file names).
    pub id: i64,
    /// The product.
    pub product_id: i64,
    /// Hash of the picture.
    pub key: String,
    /// Width of the largest variant.
    pub width: u32,
    /// Height of the largest variant.
    pub height: u32,
}

/// A photo as the API shows it: `{id, thumb_url, card_url, full_url}`,
/// the addresses of its three variants (160, 480 and 1,200 pixels).
impl Serialize for Photo {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let [thumb, card, full] = super::photos::VARIANT_BOXES;
        let mut out = s.serialize_struct("Photo", 4)?;
        out.serialize_field("id", &self.id.to_string())?;
        out.serialize_field("thumb_url", &self.url(thumb))?;
        out.serialize_field("card_url", &self.url(card))?;
        out.serialize_field("full_url", &self.url(full))?;
        out.end()
    }
}

impl Photo {
    /// The address of the variant that fits `bx`.
    pub fn url(&self, bx: u32) -> String {
        format!("/photos/{}/{}", self.product_id, super::photos::file_name(self.id, &self.key, bx))
    }

    /// The size of the variant that fits `bx`.
    pub fn size(&self, bx: u32) -> (u32, u32) {
        super::photos::fit(self.width, self.height, bx)
    }

    /// `srcset` of all variants: `/photos/…-160.webp 160w, …`.
    pub fn srcset(&self) -> String {
        super::photos::VARIANT_BOXES.iter().map(|bx| format!("{} {}w", self.url(*bx), self.size(*bx).0)).collect::<Vec<_>>().join(", ")
    }
}

impl Product {
    /// The unit price for the first tier (the "from" price).
    pub fn base_price(&self) -> Fen {
        self.price_tiers.first().map(|t| t.unit_price_fen).unwrap_or_default()
    }

    /// The unit price that applies to `quantity` (the highest tier reached).
    pub fn unit_price_for(&self, quantity: i64) -> Fen {
        self.price_tiers.iter().rev().find(|t| quantity >= t.min_quantity).map(|t| t.unit_price_fen).unwrap_or_else(|| self.base_price())
    }
}

/// A product to create.
#[derive(Debug, Clone, Deserialize)]
pub struct NewProduct {
    /// Name, in Chinese.
    pub name: String,
    /// Name in English.
    #[serde(default)]
    pub name_en: Option<String>,
    /// Category slug.
    pub category: String,
    /// Selling unit.
    pub unit: String,
    /// Specification.
    #[serde(default)]
    pub spec: String,
    /// ambient, chilled or frozen
    pub storage: String,
    /// Weight of one unit in grams, packed (required).
    #[serde(default)]
    pub unit_weight_g: Option<i64>,
    /// The village where it is grown.
    pub origin_code: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Ascending by quantity, descending by price; the first at quantity 1.
    pub price_tiers: Vec<PriceTier>,
    /// Certificates.
    #[serde(default)]
    pub certificates: Vec<NewCertificate>,
}
