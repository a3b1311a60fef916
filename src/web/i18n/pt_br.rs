//! The buy window in Brazilian Portuguese. Every field of [`Strings`] must be filled, so a
//! sentence added to the struct cannot be forgotten here. Depends on nothing but `i18n`.

use crate::web::i18n::{Problem, Problems, Strings};

/// Brazilian Portuguese.
pub const PT_BR: Strings = Strings {
    footer: "Janela de pagamento farthing · micropagamentos pré-pagos",
    sold_by: "Vendido por",
    price: "Preço",
    balance: "Seu saldo",
    cancel: "Cancelar e voltar à loja",
    back_to_shop: "Voltar à loja",
    signed_in_as: |email| format!("Conectado como {email}"),
    sign_out: "Sair",

    sign_in_heading: "Entre para comprar",
    email: "E-mail",
    password: "Senha",
    public_computer: "Estou em um computador público",
    public_computer_note: "Nenhum cookie é guardado: pedimos sua senha a cada compra.",
    expiry_legend: "Em um computador pessoal, encerrar a sessão",
    expiry_absolute: |hours| {
        if hours == 1 {
            "depois de 1 hora".to_owned()
        } else {
            format!("depois de {hours} horas")
        }
    },
    expiry_idle: |minutes| {
        if minutes == 1 {
            "depois de 1 minuto sem compras".to_owned()
        } else {
            format!("depois de {minutes} minutos sem compras")
        }
    },
    sign_in: "Entrar",
    no_account: "Ainda não tem conta?",
    create_account_link: "Crie a sua",
    wrong_credentials: "E-mail ou senha incorretos. Tente novamente.",
    session_ended: "Sua sessão terminou. Entre novamente.",
    missing_credentials: "Informe seu e-mail e sua senha.",

    buy_for: |price| format!("Comprar por {price}"),
    open: "Abrir",
    owned: "Você já comprou este conteúdo — abrir de novo não custa nada.",
    use_incentive: "Usar um código de incentivo",
    incentives: "Incentivos",
    redeem_heading: "Usar um código de incentivo",
    redeem_intro: "Os incentivos que você tem pagam antes do saldo quando este item os aceita.",
    code_label: "Código",
    redeem: "Usar código",
    charge_note: "Pago com seu saldo pré-pago. Nenhum dado de cartão é enviado à loja.",

    opening: "Abrindo sua compra…",
    continue_label: "Continuar",
    continue_hint: "Se nada acontecer, clique em Continuar.",

    insufficient_heading: "Saldo insuficiente",
    insufficient_intro: "Seu saldo ainda não cobre esta compra.",
    shortage: "Faltam",
    top_off_and_buy: |amount| format!("Recarregar {amount} e comprar"),
    top_off_note: |method| format!("Cobrado em {method}."),
    no_payment_method: "Você não tem um meio de pagamento salvo, por isso a recarga automática \
                        não está disponível. Adicione saldo manualmente.",
    add_funds_link: "Adicionar saldo manualmente",

    wallet_missing_heading: "Nenhuma carteira nesta moeda",
    wallet_missing_intro: |code| {
        format!(
            "Este item custa em {code}, e você ainda não tem uma carteira em {code}. Abra uma para comprá-lo."
        )
    },
    open_wallet: |code| format!("Abrir uma carteira em {code}"),

    add_funds_heading: "Adicionar saldo",
    pay_with: "Pagar com",
    amount_in: |code| format!("Valor ({code})"),
    add_button: "Adicionar saldo",
    test_processor_note: "Pago com o processador de pagamentos de teste: nenhum dinheiro real \
                          é movimentado.",
    amount_invalid: "Informe um valor como 10.00.",
    amount_too_large: "Esse valor passa do limite de um único depósito.",
    deposit_declined: "O pagamento foi recusado. Nada foi cobrado.",

    register_heading: "Crie sua conta",
    signup_bonus: |amount, days| {
        format!("Cadastre-se agora e ganhe {amount} para usar em {days} dias")
    },
    register_intro: "Uma carteira pré-paga para pagar centavos em vários sites.",
    password_rule: |n| format!("Pelo menos {n} caracteres."),
    language: "Idioma",
    currency: "Moeda",
    currency_usd: "Dólar americano",
    currency_eur: "Euro",
    currency_jpy: "Iene japonês",
    currency_brl: "Real brasileiro",
    save_card: "Salvar o cartão de teste para recargas",
    vendor_offers: |vendor| {
        format!("Sim, quero que {vendor} me envie informações sobre ofertas e promoções")
    },
    security_questions: "Perguntas de segurança",
    security_questions_rule: "Duas perguntas que só você sabe responder. Perguntamos uma delas antes de uma alteração importante ou de uma compra fora do comum.",
    question_label: |n| format!("Pergunta {n}"),
    answer_label: |n| format!("Resposta {n}"),
    questions_invalid: "Escreva duas perguntas diferentes, cada uma com sua resposta (até 200 caracteres).",
    create_account: "Criar conta",
    back: "Voltar",
    email_invalid: "Informe um e-mail válido.",
    email_taken: "Já existe uma conta com este e-mail. Entre com ela.",
    password_too_short: |n| format!("A senha precisa ter pelo menos {n} caracteres."),

    problem_code: "Código",
    problem_generic_title: "Algo deu errado",
    problem_generic_detail: "Não foi possível concluir o pedido. Se acontecer de novo, \
                             informe à loja o código abaixo.",
    problems: Problems {
        offer_not_found: Problem {
            title: "Oferta não encontrada",
            detail: "Este link de compra não existe. Volte à loja e use o link de compra de \
                     novo.",
        },
        offer_expired: Problem {
            title: "Esta oferta expirou",
            detail: "Os links de compra valem por pouco tempo. Volte à loja e clique de novo \
                     no link de compra.",
        },
        offer_used: Problem {
            title: "Esta oferta já foi usada",
            detail: "Cada link de compra funciona uma única vez. Se você já comprou, abra pela \
                     loja: não haverá nova cobrança.",
        },
        csrf_failed: Problem {
            title: "O formulário expirou",
            detail: "Por segurança, o formulário não foi aceito: ficou aberto tempo demais ou \
                     veio de outra página. Recarregue e tente de novo. Nada foi cobrado.",
        },
        session_expired: Problem {
            title: "Sua sessão terminou",
            detail: "Entre novamente para continuar. Nada foi cobrado.",
        },
        account_frozen: Problem {
            title: "Sua conta está bloqueada",
            detail: "As compras estão suspensas nesta conta. Fale com o suporte para \
                     desbloqueá-la.",
        },
        vendor_not_allowed: Problem {
            title: "Compras nesta loja estão bloqueadas",
            detail: "As configurações da sua conta não permitem compras deste vendedor.",
        },
        limit_per_transaction: Problem {
            title: "Acima do seu limite por compra",
            detail: "Este item custa mais do que o limite definido para uma única compra.",
        },
        limit_per_session: Problem {
            title: "Limite de gastos da sessão atingido",
            detail: "Você atingiu o limite de gastos desta sessão. Saia e entre novamente \
                     para começar uma nova.",
        },
        limit_per_day: Problem {
            title: "Limite diário de gastos atingido",
            detail: "Você atingiu seu limite de gastos de hoje. Ele recomeça à meia-noite no \
                     seu fuso horário.",
        },
        limit_per_week: Problem {
            title: "Limite semanal de gastos atingido",
            detail: "Você atingiu seu limite de gastos desta semana.",
        },
        limit_per_month: Problem {
            title: "Limite mensal de gastos atingido",
            detail: "Você atingiu seu limite de gastos deste mês.",
        },
        insufficient_funds: Problem {
            title: "Saldo insuficiente",
            detail: "Seu saldo não cobre este preço. Adicione saldo e tente de novo.",
        },
        currency_mismatch: Problem {
            title: "Moeda diferente",
            detail: "Este item tem preço em uma moeda que sua carteira não tem.",
        },
        wallet_missing: Problem {
            title: "Nenhuma carteira nesta moeda",
            detail: "Este item custa em uma moeda na qual você ainda não tem carteira. Abra uma, \
                     adicione fundos e tente de novo. Nada foi cobrado.",
        },
        incentive_invalid: Problem {
            title: "Este incentivo não pode ser usado",
            detail: "O incentivo não vale para este item ou não é mais válido. Você ainda \
                     pode comprar com seu saldo.",
        },
        payment_declined: Problem {
            title: "Pagamento recusado",
            detail: "Seu meio de pagamento foi recusado. Nada foi cobrado.",
        },
        overloaded: Problem {
            title: "Sistema ocupado",
            detail: "Há muitas solicitações no momento. Aguarde alguns segundos e tente de \
                     novo. Nada foi cobrado.",
        },
        unavailable: Problem {
            title: "Temporariamente indisponível",
            detail: "Não é possível concluir compras agora. Tente de novo em instantes.",
        },
        too_many_attempts: Problem {
            title: "Tentativas demais",
            detail: "Houve tentativas demais de entrar ou de se cadastrar sem sucesso. Aguarde \
                     alguns minutos e tente de novo. Nada foi cobrado.",
        },
    },
};
