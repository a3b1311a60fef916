//! The buy window in Japanese. Every field of [`Strings`] must be filled, so a sentence
//! added to the struct cannot be forgotten here. Depends on nothing but `i18n`.

use crate::web::i18n::{Problem, Problems, Strings};

/// Japanese.
pub const JA: Strings = Strings {
    footer: "farthing 決済ウィンドウ · プリペイド式少額決済",
    sold_by: "販売元",
    price: "価格",
    balance: "残高",
    cancel: "キャンセルしてショップに戻る",
    back_to_shop: "ショップに戻る",
    signed_in_as: |email| format!("{email} でログイン中"),
    sign_out: "ログアウト",

    sign_in_heading: "ログインして購入",
    email: "メールアドレス",
    password: "パスワード",
    public_computer: "共用のパソコンを使用しています",
    public_computer_note: "Cookie は保存されません。購入のたびにパスワードを入力していただきます。",
    expiry_legend: "個人のパソコンでは、次のときに自動でログアウト",
    expiry_absolute: |hours| format!("ログインから{hours}時間後"),
    expiry_idle: |minutes| format!("購入がないまま{minutes}分たったとき"),
    sign_in: "ログイン",
    no_account: "はじめての方は",
    create_account_link: "アカウントを作成",
    wrong_credentials: "メールアドレスまたはパスワードが正しくありません。もう一度お試しください。",
    session_ended: "セッションが終了しました。もう一度ログインしてください。",
    missing_credentials: "メールアドレスとパスワードを入力してください。",

    buy_for: |price| format!("{price}で購入"),
    open: "開く",
    owned: "購入済みです。もう一度開いても料金はかかりません。",
    use_incentive: "クーポンコードを使う",
    incentives: "クーポン残高",
    redeem_heading: "クーポンコードを使う",
    redeem_intro: "この商品で使えるクーポンは、残高より先に支払いに使われます。",
    code_label: "コード",
    redeem: "コードを使う",
    charge_note: "代金はプリペイド残高から支払われます。カード情報がショップに送られることはありません。",

    opening: "購入したコンテンツを開いています…",
    continue_label: "続ける",
    continue_hint: "画面が切り替わらない場合は「続ける」を押してください。",

    insufficient_heading: "残高が足りません",
    insufficient_intro: "現在の残高では、この購入に足りません。",
    shortage: "不足額",
    top_off_and_buy: |amount| format!("{amount}をチャージして購入"),
    top_off_note: |method| format!("{method}に請求されます。"),
    no_payment_method: "登録済みの支払い方法がないため、自動チャージは利用できません。\
                        手動で入金してください。",
    add_funds_link: "手動で入金する",

    wallet_missing_heading: "この通貨のウォレットがありません",
    wallet_missing_intro: |code| {
        format!(
            "この商品は{code}建てですが、{code}のウォレットがまだありません。購入するにはウォレットを開設してください。"
        )
    },
    open_wallet: |code| format!("{code}のウォレットを開設"),

    add_funds_heading: "入金",
    pay_with: "支払い方法",
    amount_in: |code| format!("金額（{code}）"),
    add_button: "入金する",
    test_processor_note: "テスト用の決済処理を使用します。実際のお金は動きません。",
    amount_invalid: "10.00 のように金額を入力してください。",
    amount_too_large: "1回に入金できる金額の上限を超えています。",
    deposit_declined: "支払いが承認されませんでした。請求は発生していません。",

    register_heading: "アカウントを作成",
    signup_bonus: |amount, days| {
        format!("今登録すると、{days}日間使える{amount}分のボーナスがもらえます")
    },
    register_intro: "いろいろなサイトで数円からの支払いに使える、プリペイド式のウォレットです。",
    password_rule: |n| format!("{n}文字以上で入力してください。"),
    language: "言語",
    currency: "通貨",
    currency_usd: "米ドル",
    currency_eur: "ユーロ",
    currency_jpy: "日本円",
    currency_brl: "ブラジル・レアル",
    save_card: "チャージ用にテストカードを登録する",
    vendor_offers: |vendor| format!("{vendor}からセールやキャンペーンのお知らせを受け取る"),
    security_questions: "秘密の質問",
    security_questions_rule: "あなただけが答えられる質問を2つ設定してください。重要な変更や普段と違う購入の前に、そのうち1つをお尋ねします。",
    question_label: |n| format!("質問{n}"),
    answer_label: |n| format!("答え{n}"),
    questions_invalid: "異なる質問を2つ、それぞれ答えとともに入力してください（200文字以内）。",
    create_account: "アカウントを作成",
    back: "戻る",
    email_invalid: "有効なメールアドレスを入力してください。",
    email_taken: "このメールアドレスはすでに登録されています。ログインしてください。",
    password_too_short: |n| format!("パスワードは{n}文字以上にしてください。"),

    problem_code: "エラーコード",
    problem_generic_title: "問題が発生しました",
    problem_generic_detail: "処理を完了できませんでした。繰り返し発生する場合は、\
                             下のエラーコードをショップにお知らせください。",
    problems: Problems {
        offer_not_found: Problem {
            title: "購入リンクが見つかりません",
            detail: "このリンクは無効です。ショップに戻って、もう一度購入リンクを開いてください。",
        },
        offer_expired: Problem {
            title: "この購入リンクは期限切れです",
            detail: "購入リンクの有効期間は短く設定されています。ショップに戻って、\
                     もう一度購入リンクを開いてください。",
        },
        offer_used: Problem {
            title: "この購入リンクは使用済みです",
            detail: "購入リンクは一度しか使えません。購入済みの場合はショップから開いてください。\
                     再び請求されることはありません。",
        },
        csrf_failed: Problem {
            title: "フォームの有効期限が切れました",
            detail: "安全のため、このフォームは受け付けられませんでした（開いてから時間がたちすぎたか、\
                     別のページから送信されました）。再読み込みしてもう一度お試しください。\
                     請求は発生していません。",
        },
        session_expired: Problem {
            title: "セッションが終了しました",
            detail: "続けるには、もう一度ログインしてください。請求は発生していません。",
        },
        account_frozen: Problem {
            title: "アカウントが凍結されています",
            detail: "このアカウントでは購入が停止されています。解除についてはサポートにお問い合わせください。",
        },
        vendor_not_allowed: Problem {
            title: "このショップでの購入は許可されていません",
            detail: "アカウントの設定により、この販売元からは購入できません。",
        },
        limit_per_transaction: Problem {
            title: "1回あたりの上限額を超えています",
            detail: "この商品は、1回の購入に設定された上限額を超えています。",
        },
        limit_per_session: Problem {
            title: "セッションの利用上限に達しました",
            detail: "このセッションで使える上限額に達しました。ログアウトしてもう一度ログインすると、\
                     新しいセッションが始まります。",
        },
        limit_per_day: Problem {
            title: "1日の利用上限に達しました",
            detail: "本日の利用上限額に達しました。お住まいのタイムゾーンの午前0時にリセットされます。",
        },
        limit_per_week: Problem {
            title: "1週間の利用上限に達しました",
            detail: "今週の利用上限額に達しました。",
        },
        limit_per_month: Problem {
            title: "1か月の利用上限に達しました",
            detail: "今月の利用上限額に達しました。",
        },
        insufficient_funds: Problem {
            title: "残高が足りません",
            detail: "残高が価格に届いていません。入金してからもう一度お試しください。",
        },
        currency_mismatch: Problem {
            title: "通貨が異なります",
            detail: "この商品は、お使いのウォレットにない通貨で価格が設定されています。",
        },
        wallet_missing: Problem {
            title: "この通貨のウォレットがありません",
            detail: "この商品の通貨のウォレットがまだありません。ウォレットを開設して入金し、\
                     もう一度お試しください。請求は発生していません。",
        },
        incentive_invalid: Problem {
            title: "この特典は利用できません",
            detail: "この特典はこの商品には使えないか、有効期限が切れています。残高での購入はできます。",
        },
        payment_declined: Problem {
            title: "支払いが承認されませんでした",
            detail: "お支払い方法が承認されませんでした。請求は発生していません。",
        },
        overloaded: Problem {
            title: "ただいま混み合っています",
            detail: "アクセスが集中しています。数秒待ってからもう一度お試しください。\
                     請求は発生していません。",
        },
        unavailable: Problem {
            title: "一時的にご利用いただけません",
            detail: "現在、購入を完了できません。しばらくしてからもう一度お試しください。",
        },
        too_many_attempts: Problem {
            title: "試行回数が多すぎます",
            detail: "ログインまたは登録の失敗が続きました。数分待ってからもう一度お試しください。\
                     請求は発生していません。",
        },
    },
};
