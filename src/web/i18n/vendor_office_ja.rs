//! The vendor office in Japanese. Every field of [`VendorOfficeStrings`] must be filled, so a
//! sentence added to the struct cannot be forgotten here. Depends on nothing but `i18n`,
//! the struct's declaration in `web::vendor_office` and the frame's (`OfficeStrings`) in
//! `web::office`.

use crate::web::i18n::Problem;
use crate::web::office::{OfficeProblems, OfficeStrings};
use crate::web::vendor_office::VendorOfficeStrings;

/// Japanese.
pub const VENDOR_OFFICE_JA: VendorOfficeStrings = VendorOfficeStrings {
    frame: OfficeStrings {
        footer: "farthing 販売者管理画面 · 販売者のスタッフ専用",
        menu: "販売者管理画面のページ",
        signed_in_as: |email| format!("{email} でログイン中"),
        signed_in_with_key: "販売者の API キーでログイン中",
        sign_out: "ログアウト",
        sign_in_heading: "販売者ログイン",
        sign_in_intro: "販売者からログインを受け取った方専用です。ここでの操作はすべて監査ログに記録されます。",
        email: "メールアドレス",
        password: "パスワード",
        sign_in: "ログイン",
        wrong_credentials: "メールアドレスまたはパスワードが販売者のログインと一致しません。もう一度お試しください。",
        missing_credentials: "メールアドレスとパスワードを入力してください。",
        home: "ホーム",
        home_intro: "作業を選んでください。表示されるのは、あなたのログインに許可されたページだけです。",
        home_nothing: "あなたのログインに許可されたページはまだありません。ログインを発行した方に連絡してください。",
        problem_code: "コード",
        problem_generic_title: "処理できませんでした",
        problem_generic_detail: "リクエストが拒否されたか、完了できませんでした。理由は下のコードをご覧ください。",
        back_to_home: "販売者管理画面に戻る",
        problems: OfficeProblems {
            csrf_failed: Problem {
                title: "フォームの有効期限が切れました",
                detail: "フォームを受け付けられませんでした。開いてから時間がたちすぎたか、\
                         別のページから送信されました。ページを再読み込みしてやり直してください。何も変更されていません。",
            },
            function_not_granted: Problem {
                title: "許可されていません",
                detail: "あなたのログインでは、このページまたは操作は許可されていません。\
                         ログインを発行した方に連絡してください。何も変更されていません。",
            },
            too_many_attempts: Problem {
                title: "試行回数が多すぎます",
                detail: "ログインの失敗が多すぎます。数分待ってからやり直してください。",
            },
            not_found: Problem {
                title: "見つかりません",
                detail: "このページは存在しません。",
            },
            unavailable: Problem {
                title: "一時的に利用できません",
                detail: "現在処理できませんでした。何も変更されていません。しばらくしてからやり直してください。",
            },
        },
    },
    vendor: "販売者:",

    sales: "売上",
    sales_task: "売上、MSP の手数料、収益、支払済みの額と未払いの額を確認します。",
    disputes: "異議申し立て",
    disputes_task: "会員が売上に対して申し立てた異議と、その結果を確認します。",
    payouts: "支払い",
    payouts_task: "銀行口座への支払いを確認します。",
    api_keys: "API キー",
    api_keys_task: "サーバー用の新しい API キーを発行します。",
    programs: "インセンティブプログラム",
    programs_task: "自社負担のインセンティブプログラムを作成します。",

    sales_heading: "売上",
    sales_intro: "参加以来のすべての売上を通貨ごとに表示します（取り消された売上を除く）。\
                  GET /v1/vendors/me/summary と同じ数値です。",
    sales_empty: "まだ売上はありません。",
    fee_rate: "MSP 手数料",
    fee_period: "手数料の期間",
    period_month: "月ごと",
    period_quarter: "四半期ごと",
    next_settlement: "次回の精算",
    bank_account: "支払先",
    settlement_unset: "まだ設定されていません。MSP に連絡してください。",
    sales_count: "売上件数",
    gross: "総売上",
    fees: "MSP 手数料",
    incentives_msp: "MSP のインセンティブによる支払い",
    incentives_own: "自社のインセンティブによる支払い",
    royalties_withheld: "差し引かれたロイヤルティ",
    commissions: "獲得した紹介料",
    net_payable: "収益の合計",
    settled: "支払済み",
    unsettled: "未払い",
    tier: "今期の手数料段階",
    period_fee_base: "今期の手数料対象額",
    period_fees: "今期の手数料",

    disputes_heading: "異議申し立て",
    disputes_intro: "古い順に表示します。判断するのは MSP の担当者または MSP のルールで、\
                     承認された場合は売上が取り消されます。会員は販売者向けの参照番号で表示されます。",
    disputes_empty: "売上に対する異議申し立てはありません。",
    filed: "申し立て日時",
    purchased: "購入日時",
    amount: "金額",
    member: "会員",
    status: "状態",
    decision_reason: "担当者の理由",
    status_pending: "MSP の判断待ち",
    status_approved: "承認（売上取り消し）",
    status_rejected: "却下（売上は有効）",
    next_page: "次のページ",

    payouts_heading: "支払い",
    payouts_intro: "新しい順に、各精算で支払われた額と支払先を表示します。",
    payouts_empty: "まだ支払いはありません。",
    paid: "支払日時",
    payout: "支払い",
    payout_paid: "支払済み",
    payout_returned: |reason| format!("銀行から返却: {reason}"),

    api_keys_heading: "API キー",
    api_keys_intro: "ローテーションすると、サーバー用の新しいキーが発行されます。切り替えのため、\
                     これまでのキーはしばらく使えます。それ以前にローテーションしたキーはすぐに無効になります。",
    rotate: "API キーをローテーション",
    new_key_heading: "新しい API キー",
    new_key_note: "表示されるのはこの一度だけです。今すぐサーバーのシークレットに保存してください。",
    previous_key_until: "これまでのキーの有効期限:",

    programs_heading: "インセンティブプログラム",
    programs_intro: "自社のプログラムです。会員はコードを入力して、自社でのみ使える特典を受け取ります。\
                     費用は自社負担で、特典で支払われた額は自社に支払われません。",
    code: "コード",
    code_hint: "英数字、- または _ で3〜32文字。会員が入力します。大文字で保存されます。",
    grant_amount: |currency| format!("特典1回の額（{currency}）"),
    budget: |currency| format!("予算の合計（{currency}）"),
    expires_at: "特典の有効期限（UTC、任意）",
    create_program: "プログラムを作成",
    program_created: "プログラムを作成しました。",
    program_id: "プログラム ID（特典付与用）",
    code_invalid: "コードは英数字、- または _ で3〜32文字にしてください。",
    code_taken: "このコードは別のプログラムで使われています。別のコードを選んでください。",
    amount_invalid: "特典1回の額を 2.00 のように0より大きい値で入力してください。",
    budget_invalid: "予算は特典1回の額以上を 500.00 のように入力してください。",
    expiry_invalid: "まだ過ぎていない日時を入力するか、空欄にしてください。",
    vendor_not_approved: Problem {
        title: "承認されていません",
        detail: "販売者が MSP に承認されていないか、承認が取り消されています。MSP に連絡してください。",
    },
};
