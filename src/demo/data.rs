//! The demo's fixed facts: cooperatives, what they really grow, the
//! pairings of partner cities, agencies. Places are real (NBS codes);
//! organisations and people are invented.

/// A cooperative of the demo and its products.
pub struct CoopSpec {
    /// County code (6 digits).
    pub county: &'static str,
    /// Which rural village of the county (index in code order).
    pub village_index: usize,
    /// Trade part of the name, e.g. 瓜果种植.
    pub trade: &'static str,
    /// The trade in the English name the cooperative gives itself
    /// (`Fruit Growers'` → `Baren Village Fruit Growers' Cooperative,
    /// Jiashi County`); empty for one that gives none, whose English pages
    /// show the Chinese name alone.
    pub trade_en: &'static str,
    /// Share of sales passed to households, basis points.
    pub payout_bp: i64,
    /// Products.
    pub products: &'static [ProductSpec],
}

/// A product of the demo.
pub struct ProductSpec {
    /// 中文名
    pub name: &'static str,
    /// English name
    pub en: &'static str,
    /// Category slug
    pub category: &'static str,
    /// Unit
    pub unit: &'static str,
    /// Spec
    pub spec: &'static str,
    /// ambient / chilled / frozen
    pub storage: &'static str,
    /// Price tiers: (min quantity, yuan×100 = fen)
    pub tiers: &'static [(i64, i64)],
    /// Certificate kinds
    pub certs: &'static [&'static str],
    /// Shelf life in days
    pub shelf_days: i64,
    /// Description
    pub description: &'static str,
}

macro_rules! p {
    ($name:expr, $en:expr, $cat:expr, $unit:expr, $spec:expr, $storage:expr, $tiers:expr, $certs:expr, $days:expr, $desc:expr) => {
        ProductSpec {
            name: $name,
            en: $en,
            category: $cat,
            unit: $unit,
            spec: $spec,
            storage: $storage,
            tiers: $tiers,
            certs: $certs,
            shelf_days: $days,
            description: $desc,
        }
    };
}

const FP: &str = "poverty_alleviation";
const GI: &str = "geographic_indication";
const GF: &str = "green_food";
const OR: &str = "organic";

/// The cooperatives; the first one is run by `manager@coop.zhunong.demo`.
pub const COOPS: &[CoopSpec] = &[
    CoopSpec {
        county: "653129",
        village_index: 0,
        trade: "瓜果种植",
        trade_en: "Fruit Growers'",
        payout_bp: 6500,
        products: &[
            p!(
                "伽师瓜",
                "Jiashi melon",
                "fruit",
                "箱",
                "约5kg/箱，2-3个",
                "ambient",
                &[(1, 6800), (50, 6200), (200, 5600)],
                &[FP, GI],
                45,
                "伽师县沙质土壤、昼夜温差大，瓜肉脆甜，国家地理标志产品。"
            ),
            p!(
                "伽师新梅",
                "Jiashi fresh prunes",
                "fruit",
                "kg",
                "单果20g以上",
                "chilled",
                &[(1, 2400), (100, 2100)],
                &[FP, GI],
                20,
                "法国西梅品种，伽师县规模化种植，冷链直发。"
            ),
            p!(
                "伽师西梅干",
                "Jiashi dried prunes",
                "dried_fruit",
                "袋",
                "500g/袋",
                "ambient",
                &[(1, 3900), (100, 3500)],
                &[FP],
                365,
                "自然晾晒西梅干，无添加。"
            ),
            p!(
                "伽师无花果干",
                "Jiashi dried figs",
                "dried_fruit",
                "袋",
                "250g/袋",
                "ambient",
                &[(1, 2800), (100, 2500)],
                &[FP],
                300,
                "南疆阳光晒制无花果干。"
            ),
        ],
    },
    CoopSpec {
        county: "653129",
        village_index: 40,
        trade: "畜牧养殖",
        trade_en: "Livestock Farmers'",
        payout_bp: 6000,
        products: &[
            p!(
                "伽师冷冻羔羊肉",
                "Jiashi frozen lamb",
                "meat",
                "kg",
                "分割肉，真空包装",
                "frozen",
                &[(1, 8800), (50, 8200), (200, 7800)],
                &[FP],
                180,
                "放养羔羊，定点屠宰，-18℃冷冻。"
            ),
            p!(
                "伽师土鸡蛋",
                "Jiashi free-range eggs",
                "specialty",
                "箱",
                "30枚/箱",
                "ambient",
                &[(1, 4500), (50, 4000)],
                &[FP],
                30,
                "农户散养土鸡所产鸡蛋。"
            ),
        ],
    },
    CoopSpec {
        county: "653125",
        village_index: 10,
        trade: "巴旦木种植",
        trade_en: "Almond Growers'",
        payout_bp: 6000,
        products: &[
            p!(
                "莎车巴旦木",
                "Shache almonds (in shell)",
                "nuts",
                "kg",
                "纸皮，特级",
                "ambient",
                &[(1, 5600), (50, 5000), (200, 4600)],
                &[FP, GI],
                365,
                "莎车县为中国巴旦木之乡，纸皮易剥。"
            ),
            p!(
                "莎车巴旦木仁",
                "Shache almond kernels",
                "nuts",
                "袋",
                "500g/袋",
                "ambient",
                &[(1, 7800), (100, 7000)],
                &[FP],
                300,
                "手工挑选巴旦木仁。"
            ),
            p!(
                "莎车黑叶杏干",
                "Shache black-leaf dried apricots",
                "dried_fruit",
                "kg",
                "一级",
                "ambient",
                &[(1, 4200), (100, 3800)],
                &[FP],
                300,
                "莎车黑叶杏自然晾晒。"
            ),
        ],
    },
    CoopSpec {
        county: "653125",
        village_index: 60,
        trade: "石榴种植",
        trade_en: "Pomegranate Growers'",
        payout_bp: 6200,
        products: &[
            p!(
                "莎车石榴",
                "Shache pomegranates",
                "fruit",
                "箱",
                "约5kg/箱",
                "ambient",
                &[(1, 7500), (50, 6800)],
                &[FP],
                60,
                "籽粒饱满的南疆甜石榴。"
            ),
            p!(
                "莎车石榴汁",
                "Shache pomegranate juice",
                "specialty",
                "箱",
                "250ml×12瓶",
                "ambient",
                &[(1, 9600), (50, 8800)],
                &[FP, GF],
                365,
                "鲜榨石榴汁，非浓缩还原。"
            ),
        ],
    },
    CoopSpec {
        county: "653126",
        village_index: 5,
        trade: "核桃种植",
        trade_en: "Walnut Growers'",
        payout_bp: 6500,
        products: &[
            p!(
                "叶城薄皮核桃",
                "Yecheng thin-shell walnuts",
                "nuts",
                "kg",
                "一级果，32mm以上",
                "ambient",
                &[(1, 3600), (50, 3200), (500, 2900)],
                &[FP, GI],
                365,
                "叶城县核桃国家地理标志产品，皮薄易剥。"
            ),
            p!(
                "叶城核桃仁",
                "Yecheng walnut kernels",
                "nuts",
                "袋",
                "500g/袋",
                "ambient",
                &[(1, 6800), (100, 6200)],
                &[FP],
                240,
                "人工去壳，琥珀色核桃仁。"
            ),
            p!(
                "叶城石榴",
                "Yecheng pomegranates",
                "fruit",
                "箱",
                "约4kg/箱",
                "ambient",
                &[(1, 6600), (50, 6000)],
                &[FP],
                60,
                "叶城县石榴，甜度高。"
            ),
        ],
    },
    CoopSpec {
        county: "653123",
        village_index: 8,
        trade: "杏果种植",
        trade_en: "Apricot Growers'",
        payout_bp: 6000,
        products: &[
            p!(
                "英吉沙色买提杏干",
                "Yengisar Saimaiti dried apricots",
                "dried_fruit",
                "kg",
                "特级",
                "ambient",
                &[(1, 4800), (100, 4300)],
                &[FP, GI],
                300,
                "英吉沙色买提杏，国家地理标志产品。"
            ),
            p!(
                "英吉沙杏仁",
                "Yengisar apricot kernels",
                "nuts",
                "袋",
                "500g/袋",
                "ambient",
                &[(1, 5200), (100, 4700)],
                &[FP],
                300,
                "甜杏仁，原味烘烤。"
            ),
            p!(
                "英吉沙鲜杏",
                "Yengisar fresh apricots",
                "fruit",
                "箱",
                "约3kg/箱",
                "chilled",
                &[(1, 5800), (50, 5200)],
                &[FP],
                12,
                "六月鲜杏，冷链发货。"
            ),
        ],
    },
    CoopSpec {
        county: "653124",
        village_index: 12,
        trade: "红枣种植",
        trade_en: "Jujube Growers'",
        payout_bp: 6200,
        products: &[
            p!(
                "泽普骏枣",
                "Zepu Jun jujubes (red dates)",
                "dried_fruit",
                "kg",
                "特级，大果",
                "ambient",
                &[(1, 3800), (100, 3400), (500, 3000)],
                &[FP, GI],
                365,
                "泽普县骏枣，肉厚核小的新疆红枣。"
            ),
            p!(
                "新疆红枣夹核桃",
                "Red dates with walnut",
                "dried_fruit",
                "袋",
                "500g/袋",
                "ambient",
                &[(1, 4600), (100, 4100)],
                &[FP],
                240,
                "泽普骏枣夹叶城核桃仁。"
            ),
        ],
    },
    CoopSpec {
        county: "540302",
        village_index: 4,
        trade: "牦牛养殖",
        trade_en: "Yak Herders'",
        payout_bp: 5800,
        products: &[
            p!(
                "昌都牦牛肉干",
                "Chamdo yak jerky",
                "meat",
                "袋",
                "250g/袋，风干",
                "ambient",
                &[(1, 8800), (100, 8000)],
                &[FP, GI],
                270,
                "高原放牧牦牛，传统风干工艺。"
            ),
            p!(
                "昌都冷冻牦牛肉",
                "Chamdo frozen yak meat",
                "meat",
                "kg",
                "分割肉，真空包装",
                "frozen",
                &[(1, 9800), (50, 9200), (200, 8800)],
                &[FP],
                180,
                "海拔3500米以上放养牦牛。"
            ),
            p!(
                "卡若青稞糌粑",
                "Karuo highland barley tsampa",
                "grain_oil",
                "袋",
                "1kg/袋",
                "ambient",
                &[(1, 2600), (100, 2300)],
                &[FP],
                300,
                "炒青稞磨制的藏族传统主食。"
            ),
        ],
    },
    CoopSpec {
        county: "540323",
        village_index: 3,
        trade: "牦牛乳业",
        trade_en: "Yak Dairy",
        payout_bp: 6000,
        products: &[
            p!(
                "类乌齐牦牛酸奶",
                "Riwoqe yak yoghurt",
                "dairy",
                "箱",
                "200g×12杯",
                "chilled",
                &[(1, 7200), (50, 6600)],
                &[FP, GI],
                21,
                "类乌齐牦牛奶发酵，冷链配送。"
            ),
            p!(
                "类乌齐牦牛奶渣",
                "Riwoqe yak milk curd",
                "dairy",
                "袋",
                "500g/袋",
                "ambient",
                &[(1, 4500), (100, 4000)],
                &[FP],
                180,
                "藏区传统奶制品。"
            ),
            p!(
                "类乌齐牦牛肉",
                "Riwoqe yak meat",
                "meat",
                "kg",
                "鲜切，冷藏",
                "chilled",
                &[(1, 10200), (50, 9600)],
                &[FP, GI],
                10,
                "类乌齐牦牛，国家地理标志产品。"
            ),
        ],
    },
    CoopSpec {
        county: "540328",
        village_index: 6,
        trade: "特色种养",
        trade_en: "",
        payout_bp: 6000,
        products: &[
            p!(
                "芒康藏香猪肉",
                "Markam Tibetan pork",
                "meat",
                "kg",
                "分割肉，冷冻",
                "frozen",
                &[(1, 9600), (50, 8900)],
                &[FP],
                180,
                "林下放养藏香猪。"
            ),
            p!(
                "盐井红盐",
                "Yanjing red salt",
                "specialty",
                "袋",
                "500g/袋",
                "ambient",
                &[(1, 2800), (100, 2400)],
                &[FP],
                720,
                "澜沧江畔千年古盐田晒制。"
            ),
            p!(
                "盐井葡萄干",
                "Yanjing raisins",
                "dried_fruit",
                "袋",
                "500g/袋",
                "ambient",
                &[(1, 3600), (100, 3200)],
                &[FP],
                300,
                "高海拔葡萄自然风干。"
            ),
        ],
    },
    CoopSpec {
        county: "540325",
        village_index: 2,
        trade: "青稞种植",
        trade_en: "Highland Barley Growers'",
        payout_bp: 6200,
        products: &[
            p!(
                "察雅青稞",
                "Zhagyab highland barley",
                "grain_oil",
                "kg",
                "原粮",
                "ambient",
                &[(1, 1200), (100, 1000), (1000, 900)],
                &[FP, GF],
                365,
                "高原青稞，富含β-葡聚糖。"
            ),
            p!(
                "青稞挂面",
                "Highland barley noodles",
                "grain_oil",
                "箱",
                "1kg×6袋",
                "ambient",
                &[(1, 5400), (100, 4800)],
                &[FP],
                365,
                "青稞粉与小麦粉配比制面。"
            ),
            p!(
                "察雅藏香猪腊肉",
                "Zhagyab cured Tibetan pork",
                "meat",
                "kg",
                "烟熏腊肉",
                "ambient",
                &[(1, 12800), (50, 11800)],
                &[FP],
                180,
                "传统柏枝烟熏。"
            ),
        ],
    },
    CoopSpec {
        county: "422822",
        village_index: 3,
        trade: "葡萄种植",
        trade_en: "Grape Growers'",
        payout_bp: 6500,
        products: &[
            p!(
                "关口葡萄",
                "Guankou grapes",
                "fruit",
                "箱",
                "约5kg/箱",
                "chilled",
                &[(1, 7800), (50, 7000)],
                &[FP, GI],
                15,
                "建始县关口葡萄，国家地理标志产品。"
            ),
            p!(
                "关口葡萄干",
                "Guankou raisins",
                "dried_fruit",
                "袋",
                "500g/袋",
                "ambient",
                &[(1, 3200), (100, 2800)],
                &[FP],
                300,
                "关口葡萄制干。"
            ),
        ],
    },
    CoopSpec {
        county: "422822",
        village_index: 30,
        trade: "富硒茶",
        trade_en: "Selenium-Rich Tea",
        payout_bp: 6000,
        products: &[
            p!(
                "建始富硒绿茶",
                "Jianshi selenium-rich green tea",
                "tea",
                "盒",
                "250g/盒",
                "ambient",
                &[(1, 16800), (50, 15000)],
                &[FP, GF],
                540,
                "恩施富硒土壤所产明前绿茶。"
            ),
            p!(
                "建始富硒红茶",
                "Jianshi selenium-rich black tea",
                "tea",
                "盒",
                "250g/盒",
                "ambient",
                &[(1, 14800), (50, 13200)],
                &[FP, OR],
                720,
                "工夫红茶工艺。"
            ),
            p!(
                "建始魔芋粉",
                "Jianshi konjac flour",
                "specialty",
                "袋",
                "500g/袋",
                "ambient",
                &[(1, 3800), (100, 3300)],
                &[FP],
                540,
                "本地花魔芋精制。"
            ),
        ],
    },
    CoopSpec {
        county: "422822",
        village_index: 60,
        trade: "猕猴桃种植",
        trade_en: "Kiwifruit Growers'",
        payout_bp: 6200,
        products: &[
            p!(
                "建始红心猕猴桃",
                "Jianshi red-heart kiwifruit",
                "fruit",
                "箱",
                "约3kg/箱，30枚",
                "chilled",
                &[(1, 6800), (50, 6100)],
                &[FP, GF],
                30,
                "红心猕猴桃，糖度18以上。"
            ),
            p!(
                "建始魔芋豆腐",
                "Jianshi konjac tofu",
                "vegetables",
                "箱",
                "500g×10袋",
                "chilled",
                &[(1, 4800), (50, 4300)],
                &[FP],
                20,
                "土家传统魔芋豆腐。"
            ),
            p!(
                "建始土家蜂蜜",
                "Jianshi Tujia honey",
                "honey",
                "瓶",
                "500g/瓶",
                "ambient",
                &[(1, 6800), (100, 6000)],
                &[FP, OR],
                720,
                "中华蜂百花蜜。"
            ),
            p!(
                "建始高山洋芋",
                "Jianshi highland potatoes",
                "vegetables",
                "kg",
                "中果",
                "ambient",
                &[(1, 400), (500, 320)],
                &[FP],
                60,
                "高山富硒洋芋。"
            ),
        ],
    },
];

/// A partner city and its pairings: (name, region code, programme, paired
/// region codes, yearly pledge per paired region in yuan).
pub const PARTNERS: &[(&str, &str, &str, &[&str], i64)] = &[
    ("重庆市对口支援昌都工作组", "500000000000", "对口援藏", &["540300000000"], 30_000_000),
    ("天津市对口支援昌都工作组", "120000000000", "对口援藏", &["540300000000"], 25_000_000),
    ("厦门市对口支援昌都工作组", "350200000000", "对口援藏", &["540300000000"], 12_000_000),
    ("杭州市东西部协作恩施工作队", "330100000000", "东西部协作", &["422800000000"], 40_000_000),
    (
        "上海市对口支援新疆工作前方指挥部",
        "310000000000",
        "对口援疆",
        &["653125000000", "653126000000", "653124000000", "653130000000"],
        20_000_000,
    ),
    ("深圳市对口支援新疆喀什工作组", "440300000000", "对口援疆", &["653101000000", "653131000000"], 15_000_000),
    ("广东省对口支援新疆工作前方指挥部", "440000000000", "对口援疆", &["653121000000", "653129000000"], 18_000_000),
    (
        "山东省对口支援新疆工作前方指挥部",
        "370000000000",
        "对口援疆",
        &["653122000000", "653123000000", "653127000000", "653128000000"],
        16_000_000,
    ),
];

/// Agencies: (name, region code, approval limit yuan, reserved share yuan
/// this year). The first is the demo buyer's and approver's.
pub const AGENCIES: &[(&str, &str, i64, i64)] = &[
    ("喀什地区第一中学", "653101000000", 20_000, 1_200_000),
    ("伽师县人民医院", "653129000000", 10_000, 600_000),
    ("昌都市人民医院", "540302000000", 15_000, 800_000),
    ("恩施州中心医院", "422801000000", 20_000, 1_500_000),
    ("重庆市机关事务管理局", "500000000000", 50_000, 3_000_000),
    ("杭州市西湖区教育局", "330106000000", 30_000, 2_000_000),
    ("上海市浦东新区机关事务管理中心", "310115000000", 50_000, 2_500_000),
    ("深圳市福田区人民医院", "440304000000", 30_000, 1_800_000),
];

/// Government offices: (name, jurisdiction).
pub const OFFICES: &[(&str, &str)] = &[
    ("伽师县乡村振兴局", "653129000000"),
    ("喀什地区乡村振兴局", "653100000000"),
    ("昌都市乡村振兴局", "540300000000"),
    ("恩施州乡村振兴局", "422800000000"),
];

/// Townships with no sorting centre of their own (goods go straight to the
/// county centre): the coops of these indices.
pub const NO_SORTING_CENTRE: &[usize] = &[4, 9];

/// Counties whose distribution centre has cold storage.
pub const COLD_COUNTY_CENTRES: &[&str] = &["653129", "653125", "540302", "422822"];

/// Surnames and given names by culture, for invented household heads.
pub const UYGHUR_GIVEN: &[&str] = &[
    "阿卜杜拉",
    "买买提",
    "艾合买提",
    "吐尔逊",
    "阿依古丽",
    "帕提古丽",
    "努尔",
    "热依拉",
    "艾力",
    "古丽娜尔",
    "麦麦提敏",
    "阿迪力",
    "如先古丽",
    "依明",
    "卡德尔",
];
/// Tibetan names.
pub const TIBETAN_GIVEN: &[&str] =
    &["扎西", "次仁", "多吉", "卓玛", "央金", "格桑", "拉姆", "平措", "尼玛", "达瓦", "曲珍", "旺堆", "索朗", "德吉", "边巴"];
/// Tujia and Han surnames common in 恩施.
pub const ENSHI_SURNAMES: &[&str] = &["向", "田", "谭", "覃", "彭", "冉", "黄", "张", "刘", "杨", "李", "邓"];
/// Given names.
pub const ENSHI_GIVEN: &[&str] = &["大国", "春华", "秀英", "明贵", "志刚", "玉兰", "德财", "桂芳", "永红", "光荣", "翠花", "长江"];
