//! The words of the buying pages (cart, checkout, orders, approvals,
//! finance, fulfilment), each written once with both languages side by
//! side; a missing translation does not compile.

macro_rules! words {
    ($($name:ident: $zh:literal, $en:literal;)*) => {
        /// Words of the buying pages.
        #[derive(Debug)]
        pub struct Words {
            $(#[doc = $en] pub $name: &'static str,)*
        }
        /// 中文
        pub const ZH: Words = Words { $($name: $zh,)* };
        /// English
        pub const EN: Words = Words { $($name: $en,)* };
    };
}

words! {
    nav_cart: "购物车", "Cart";
    nav_orders: "我的订单", "My orders";
    nav_approvals: "待审批", "Approvals";
    nav_finance: "待确认收款", "Invoices to confirm";
    nav_fulfil: "待发货", "Orders to fulfil";
    nav_hub: "发运与签收", "Dispatch and delivery";
    hub_title: "待发运 / 待签收的订单", "Orders to dispatch or deliver";
    hub_empty: "没有待发运或待签收的订单。", "No orders to dispatch or deliver.";
    hub_hint: "线路调度上线前，由产地的配送中心在此登记发运和送达。", "Until routing schedules shipments, the origin's hubs record dispatch and delivery here.";
    dispatch: "登记发运", "Mark dispatched";
    deliver: "登记送达", "Mark delivered";
    add_to_cart: "加入购物车", "Add to cart";
    added: "已加入购物车", "Added to the cart";
    bad_quantity: "数量请填写 1 至 1,000,000 之间的整数。", "Give the quantity as a whole number from 1 to 1,000,000.";
    cart_full: "购物车最多放 100 种商品，请先下单或移除一些再添加。", "A cart holds at most 100 products; place an order or remove some first.";
    quantity: "数量", "Quantity";
    cart_empty: "购物车是空的。去搜索农产品，把需要的加进来。", "The cart is empty. Search the produce and add what you need.";
    unit_price: "单价", "Unit price";
    amount: "金额", "Amount";
    total: "合计", "Total";
    update: "更新", "Update";
    remove: "移除", "Remove";
    next_tier: "再加购至", "Reach";
    next_tier_at: "件可享单价", "units for a unit price of";
    only_available: "当前可售", "Available now";
    checkout: "去结算", "Check out";
    checkout_title: "结算", "Checkout";
    delivery: "收货信息", "Delivery";
    delivery_region: "收货地区", "Delivery region";
    choose: "选择", "Choose";
    choose_level: "请选择下一级", "Choose the next level";
    region_chosen: "已选地区", "Region chosen";
    region_needed: "请先选择收货地区（至少到区县）。", "Choose the delivery region first (at least down to the county).";
    address: "详细地址", "Street address";
    contact_name: "收货人", "Recipient";
    phone: "电话", "Phone";
    note: "备注", "Note";
    payment_method: "支付方式", "Payment method";
    pay_invoice: "对公转账（开具付款通知书）", "Bank transfer (against an invoice)";
    pay_stripe: "银行卡 / 支付宝 / 微信支付", "Card / Alipay / WeChat Pay";
    stripe_unavailable: "本服务器未配置 Stripe 密钥，暂不能在线支付；请选择对公转账。", "Stripe keys are not configured on this server, so online payment is unavailable; pay by bank transfer.";
    place_order: "提交订单", "Place the order";
    approval_notice: "超过本单位审批限额的订单需审批人批准后才能付款。", "Orders above your agency's approval limit wait for an approver before payment.";
    orders_title: "订单", "Orders";
    orders_empty: "还没有订单。", "No orders yet.";
    all_statuses: "全部", "All";
    number: "订单号", "Order number";
    placed_at: "下单时间", "Placed";
    status: "状态", "Status";
    buyer: "采购单位", "Buyer";
    product: "商品", "Product";
    cooperative: "合作社", "Cooperative";
    lots: "批次", "Lots";
    refunded: "已退款", "Refunded";
    history: "订单记录", "History";
    reminder_accept: "有已送达的订单等待您验收并评价——验收评价后才计入本单位的预留份额。", "Delivered orders are waiting for your acceptance and rating — only then do they count towards your agency's reserved share.";
    go_accept: "去验收", "Accept now";
    cancel_order: "取消订单", "Cancel the order";
    approve: "批准", "Approve";
    reject: "驳回", "Reject";
    invoice_link: "付款通知书（可打印）", "Invoice (printable)";
    pay_now: "在线支付", "Pay now";
    pay_loading: "正在加载 Stripe 支付组件……需要联网访问 js.stripe.com。", "Loading Stripe's payment form… needs a connection to js.stripe.com.";
    payment_failed: "上次支付未成功：", "The last payment attempt failed:";
    accept_title: "验收并评价", "Accept and rate";
    stars: "评分（1–5 星）", "Rating (1–5 stars)";
    comment: "评语（可选）", "Comment (optional)";
    accept_button: "确认验收", "Accept the goods";
    reach_heading: "帮扶成效", "Where the money went";
    reach_before: "这笔采购惠及", "This purchase reached";
    reach_households: "户农户，分布在", "households in";
    reach_poor: "其中建档立卡贫困户", "of them registered poor:";
    reach_unpaid: "付款后，每一分钱都会记入供货农户的收益台账。", "Once paid, every fen is credited to the households who grew the goods.";
    invoice_title: "付款通知书", "Invoice";
    payee: "收款单位", "Payee";
    bank: "开户行", "Bank";
    account: "账号", "Account";
    invoice_hint: "请在转账附言中注明订单号。到账后平台财务确认，订单即为已付款。", "Put the order number in the transfer's reference. Platform finance confirms receipt and the order becomes paid.";
    print: "打印", "Print";
    approvals_title: "待审批订单", "Orders awaiting approval";
    approvals_empty: "没有待审批的订单。", "No orders await approval.";
    finance_title: "待确认收款的对公转账订单", "Bank-transfer orders awaiting confirmation";
    finance_empty: "没有待确认的转账。", "No transfers await confirmation.";
    reference: "银行流水号", "Bank reference";
    confirm_paid: "确认收款", "Confirm payment";
    nav_refunds: "退款", "Refunds";
    refunds_title: "退款", "Refunds";
    refunds_hint: "输入订单号查找订单；银行卡支付的订单经 Stripe 原路退回，对公转账订单开具红字凭证（credit note）。发运前退款的商品回到原批次库存。", "Find an order by its number. Card orders are refunded through Stripe; bank-transfer orders get a credit note. Units refunded before dispatch go back to their lots.";
    find: "查找", "Find";
    no_such_order: "没有这个订单号的订单。", "No order has this number.";
    refund_quantity: "退款数量", "Units to refund";
    refund_reason: "退款原因", "Reason";
    refund_button: "退款", "Refund";
    refund_done: "已退款", "Refunded";
    fulfil_title: "待发货订单行", "Order lines to fulfil";
    fulfil_empty: "没有待发货的订单。", "Nothing to fulfil.";
    reserved_share: "预留份额完成进度", "Reserved share progress";
    reserved_target: "年度预留份额", "Reserved share this year";
    reserved_counted: "已计入（已付款、已验收并评价）", "Counted (paid, accepted and rated)";
    no_target: "本年度尚未设定预留份额。", "No reserved share is set for this year.";
    done: "操作成功。", "Done.";
    prev: "上一页", "Previous";
    next: "下一页", "Next";
    hold_until: "未付款保留至", "Held unpaid until";
    hold_hint: "到期仍未付款（待审批的订单：仍未获批准）的订单将自动取消，库存释放给其他采购单位。时间为北京时间。", "If the order is not paid by then (or, while it waits for approval, not approved), it is cancelled and its stock goes back on sale. Times are China time (UTC+8).";
    hold_lapsed: "保留期已过，订单自动取消", "The hold lapsed: the order was cancelled";
    hold_limit: "{product}：同一采购单位的未付款订单（含待审批）合计最多可占用在售量的 {percent}%，即 {cap}{unit}；您的未付款订单已占用 {held}{unit}。请减少数量，或先付款、取消已有的未付款订单。", "{product}: one buyer's unpaid orders (awaiting approval or payment) may hold at most {percent}% of what is on offer, {cap} {unit}; yours already hold {held} {unit}. Order less, or pay or cancel your unpaid orders first.";
    line_waiting: "待发运", "Waiting for dispatch";
    status_placed: "已下单", "Placed";
    status_pending_approval: "待审批", "Awaiting approval";
    status_awaiting_payment: "待付款", "Awaiting payment";
    status_paid: "已付款", "Paid";
    status_in_transit: "运输中", "In transit";
    status_delivered: "已送达", "Delivered";
    status_accepted: "已验收", "Accepted";
    status_cancelled: "已取消", "Cancelled";
    status_refunded: "已退款", "Refunded";
}

impl Words {
    /// The label of an order status (or of a line's: waiting, in_transit,
    /// delivered).
    pub fn status(&self, s: &str) -> &'static str {
        match s {
            "placed" => self.status_placed,
            "pending_approval" => self.status_pending_approval,
            "awaiting_payment" => self.status_awaiting_payment,
            "paid" => self.status_paid,
            "in_transit" => self.status_in_transit,
            "delivered" => self.status_delivered,
            "accepted" => self.status_accepted,
            "cancelled" => self.status_cancelled,
            "refunded" => self.status_refunded,
            "waiting" => self.line_waiting,
            _ => "?",
        }
    }
}
