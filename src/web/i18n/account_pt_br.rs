//! The account pages in Brazilian Portuguese. Every field of [`AccountStrings`] must be
//! filled, so a sentence added to the struct cannot be forgotten here. Depends on nothing but
//! `i18n`, the struct's declaration in `web::account` and the frame's (`OfficeStrings`) in
//! `web::office`.

use crate::web::account::AccountStrings;
use crate::web::i18n::Problem;
use crate::web::office::{OfficeProblems, OfficeStrings};

/// Brazilian Portuguese.
pub const ACCOUNT_PT_BR: AccountStrings = AccountStrings {
    frame: OfficeStrings {
        footer: "farthing · sua conta",
        menu: "Páginas da conta",
        signed_in_as: |email| format!("Conectado como {email}"),
        signed_in_with_key: "Conectado com um token de sessão",
        sign_out: "Sair",
        sign_in_heading: "Sua conta",
        sign_in_intro: "Entre com o e-mail e a senha que você usa para comprar.",
        email: "E-mail",
        password: "Senha",
        sign_in: "Entrar",
        wrong_credentials: "Esse e-mail e essa senha não correspondem. Tente novamente.",
        missing_credentials: "Informe seu e-mail e sua senha.",
        home: "Resumo",
        home_intro: "Suas carteiras, suas compras recentes e o estado da conta.",
        home_nothing: "Nada para mostrar ainda.",
        problem_code: "Código",
        problem_generic_title: "Não deu certo",
        problem_generic_detail: "A solicitação foi recusada ou não pôde ser concluída. O código \
                                 abaixo diz o porquê.",
        back_to_home: "Voltar para sua conta",
        problems: OfficeProblems {
            csrf_failed: Problem {
                title: "Este formulário expirou",
                detail: "O formulário não foi aceito: ficou aberto tempo demais ou veio de outra \
                         página. Recarregue a página e tente novamente. Nada foi alterado.",
            },
            function_not_granted: Problem {
                title: "Não permitido",
                detail: "Seu login não pode fazer isso. Nada foi alterado.",
            },
            too_many_attempts: Problem {
                title: "Tentativas demais",
                detail: "Houve tentativas de entrada com falha demais. Aguarde alguns minutos e \
                         tente novamente.",
            },
            not_found: Problem {
                title: "Não encontrado",
                detail: "Esta página ou este item não existe.",
            },
            unavailable: Problem {
                title: "Indisponível no momento",
                detail: "O serviço não conseguiu decidir agora. Nada foi alterado; tente \
                         novamente em instantes.",
            },
        },
    },

    content: "Meu conteúdo",
    wallets: "Carteiras",
    limits: "Limites",
    sub_members: "Submembros",
    questions: "Perguntas de segurança",
    transfers: "Transferências",
    incentives: "Incentivos",
    disputes: "Contestações",

    role_holder: "Titular da conta",
    role_member: "Submembro",
    frozen_notice: "Esta conta está congelada: nada pode ser comprado até que seja \
                    descongelada.",
    no_wallets: "Nenhuma carteira ainda.",
    currency: "Moeda",
    paid: "Saldo pago",
    incentive: "Incentivos",
    available: "Disponível",
    recent_heading: "Compras recentes",
    no_purchases: "Nenhuma compra ainda.",
    when: "Quando",
    vendor: "Vendedor",
    price: "Valor",
    reversed: "Estornada",
    freeze: "Congelar a conta",
    freeze_hint: "Interrompe todas as compras e encerra todas as sessões na hora, por exemplo \
                  quando uma senha pode ter vazado. Só o titular pode descongelar.",
    unfreeze: "Descongelar a conta",
    close: "Encerrar a conta",
    close_forfeit: "Abrir mão do saldo restante",
    close_hint: "Encerra todas as sessões de todos os logins e apaga de vez os e-mails, nomes, \
                 perguntas de segurança e formas de pagamento; os valores continuam nos \
                 livros. Saque antes: um saldo restante impede o encerramento, a menos que \
                 você abra mão dele. Os incentivos acabam com a conta. Uma dívida, um depósito \
                 pendente ou uma contestação pendente precisam ser resolvidos antes.",

    content_heading: "Meu conteúdo",
    content_intro: "Tudo o que você comprou, do mais recente ao mais antigo. Abrir leva você ao \
                    conteúdo com um passe novo; o fornecedor conta uma visualização quando você \
                    chega, como depois de uma compra.",
    no_content: "Nada comprado ainda.",
    title: "Título",
    untitled: "(sem título)",
    purchased: "Comprado em",
    expires: "Expira em",
    never: "Nunca",
    views_left: "Visualizações restantes",
    unlimited: "Ilimitadas",
    open: "Abrir",
    state_expired: "Expirado",
    state_reversed: "Reembolsado",
    state_used_up: "Esgotado",
    next_page: "Compras anteriores",

    wallets_heading: "Carteiras e fundos",
    open_wallet: "Abrir uma carteira",
    add_funds_heading: "Adicionar fundos",
    amount: "Valor",
    payment_method: "Forma de pagamento",
    add_funds: "Adicionar fundos",
    no_methods: "Nenhuma forma de pagamento salva. Salve primeiro o cartão de teste abaixo.",
    methods_heading: "Formas de pagamento",
    save_card: "Salvar o cartão de teste",
    save_card_hint: "O cartão aprovado do processador de teste (4242 …). Uma instalação real \
                     mostra aqui um formulário de cartão.",
    remove: "Remover",

    limits_heading: "Limites de gastos",
    limits_intro: "Limites por login e moeda. Um campo em branco significa sem limite. Definir \
                   uma moeda substitui todos os limites dela de uma vez.",
    per_transaction: "Por compra",
    per_session: "Por sessão",
    per_day: "Por dia",
    per_week: "Por semana",
    per_month: "Por mês",
    no_limit: "Nenhum",
    set_limits: "Definir limites",

    sub_members_heading: "Submembros",
    sub_members_intro: "Pessoas que compram por esta conta com o próprio login, dentro dos \
                        limites que você define. Elas não podem ver nem alterar esta página.",
    name: "Nome",
    email: "E-mail",
    password: "Senha",
    status: "Situação",
    active: "Ativo",
    disabled: "Desativado",
    disable: "Desativar",
    enable: "Ativar",
    add_sub_member: "Adicionar um submembro",

    questions_heading: "Perguntas de segurança",
    questions_intro: "De duas a cinco perguntas feitas antes de uma alteração sensível ou de \
                      uma compra incomum. As respostas são comparadas sem maiúsculas nem \
                      espaços extras; linhas em branco são ignoradas.",
    question: "Pergunta",
    answer: "Resposta",
    save_questions: "Salvar as perguntas",

    transfers_heading: "Enviar dinheiro",
    transfers_intro: "Envie saldo pago compensado a outro membro pelo e-mail dele, sem custo.",
    to_email: "E-mail do destinatário",
    note: "Mensagem (opcional)",
    send: "Enviar",

    incentives_heading: "Códigos de incentivo",
    incentives_intro: "Resgate um código de um vendedor ou nosso. Um código vale uma vez por \
                       conta.",
    code: "Código",
    redeem: "Resgatar",

    disputes_heading: "Contestações",
    disputes_intro: "Conteste uma compra que não foi entregue. Contestações pequenas são \
                     aprovadas na hora; as outras aguardam nossa equipe.",
    no_disputes: "Nenhuma contestação.",
    purchase: "Compra",
    reason: "Motivo",
    decision: "Decisão",
    file_dispute: "Registrar a contestação",
    status_pending: "Pendente",
    status_approved: "Aprovada",
    status_rejected: "Rejeitada",

    step_up_heading: "Confirme que é você",
    step_up_for_change: "Responda a uma das suas perguntas de segurança para fazer esta \
                         alteração.",
    step_up_for_purchase: "Um vendedor pediu uma compra incomum para você. Responda a uma das \
                           suas perguntas de segurança para permiti-la.",
    password_again: "A senha do novo login, novamente",
    answer_button: "Responder",
    step_up_passed: "Obrigado. Volte à página do vendedor e tente a compra novamente.",
    step_up_not_asked: "Seu login não tem perguntas de segurança, então nunca é perguntado.",

    done_frozen: "A conta está congelada.",
    done_unfrozen: "A conta foi descongelada.",
    done_closed: "A conta foi encerrada.",
    done_wallet_opened: "A carteira foi aberta.",
    done_funds_added: "Os fundos foram adicionados.",
    done_card_saved: "O cartão foi salvo.",
    done_method_removed: "A forma de pagamento foi removida.",
    done_limits_set: "Os limites foram definidos.",
    done_sub_member_added: "O submembro foi adicionado. Ele já pode entrar.",
    done_sub_member_disabled: "O submembro foi desativado.",
    done_sub_member_enabled: "O submembro foi ativado.",
    done_questions_set: "Suas perguntas de segurança foram salvas.",
    done_transfer_sent: "O dinheiro foi enviado.",
    done_incentive_redeemed: "O código foi resgatado.",
    done_dispute_filed: "A contestação foi registrada.",

    amount_invalid: "Informe um valor positivo, como 5,00.",
    currency_invalid: "Escolha uma moeda em que este serviço mantém carteiras.",
    email_invalid: "Informe um endereço de e-mail.",
    email_taken: "Esse e-mail já entra em outro login.",
    password_too_short: "A senha precisa de pelo menos 8 caracteres.",
    name_invalid: "Informe um nome de 1 a 100 caracteres.",
    questions_invalid: "Informe de 2 a 5 perguntas, cada uma com resposta.",
    limit_invalid: "Cada limite deve ser um valor, como 10.00, ou ficar em branco.",
    reason_invalid: "Informe um motivo de 1 a 256 caracteres.",
    code_invalid: "Isso não é um código.",
    note_invalid: "A mensagem é longa demais.",
    declined: "O cartão foi recusado. Nada foi cobrado.",
    answer_wrong: "Essa resposta não está certa. Aqui vai outra pergunta.",

    statement: "Extrato",
    profile: "Perfil",
    statement_link: "Ver o extrato completo",
    statement_heading: "Extrato",
    statement_zone: |zone| format!("Datas e horários em {zone}."),
    date_from: "De",
    date_to: "Até",
    kind: "Tipo",
    any: "Todos",
    vendor_id: "ou id do vendedor",
    made_by: "Feito por",
    min_amount: "Valor mínimo",
    max_amount: "Valor máximo",
    apply_filters: "Mostrar",
    balance_after: "Saldo após",
    no_lines: "Nenhum lançamento encontrado.",
    next_lines: "Próxima página",
    kind_purchase: "Compra",
    kind_funds: "Fundos adicionados",
    kind_transfer_in: "Dinheiro recebido",
    kind_transfer_out: "Dinheiro enviado",
    kind_cash_out: "Saque",
    kind_incentive: "Incentivo",
    kind_dispute: "Contestação",
    kind_customer_credit: "Reembolso de contestação",
    kind_reversal: "Estorno",
    filter_invalid: "Um filtro não é válido: confira as datas, os valores e o id do vendedor.",
    profile_heading: "Seu perfil",
    profile_intro: "Seu nome aparece para o titular da conta e no extrato; seu idioma é o das suas páginas e e-mails.",
    language: "Idioma",
    save_profile: "Salvar",
    done_profile_set: "Seu perfil foi salvo.",
    language_invalid: "Escolha um idioma.",

    holder_only: Problem {
        title: "Só o titular da conta pode fazer isso",
        detail: "Seu login é de um submembro. Peça ao titular da conta.",
    },
    account_frozen: Problem {
        title: "A conta está congelada",
        detail: "Nada pode ser comprado ou alterado até o titular descongelá-la.",
    },
    insufficient_funds: Problem {
        title: "Saldo insuficiente",
        detail: "O saldo não cobre isso. Adicione fundos primeiro.",
    },
    step_up_locked: Problem {
        title: "Respostas erradas demais",
        detail: "As perguntas de segurança estão bloqueadas por um tempo. Tente mais tarde.",
    },
    recipient_unavailable: Problem {
        title: "Este endereço não pode receber dinheiro",
        detail: "Nada foi enviado. Confira o endereço de e-mail.",
    },
    incentive_refused: Problem {
        title: "Este código não pode ser resgatado",
        detail: "Ele não existe, expirou ou esta conta já o resgatou.",
    },
    dispute_refused: Problem {
        title: "Esta compra não pode ser contestada",
        detail: "Ela já foi contestada, é antiga demais ou não cobrou nada.",
    },
    wallet_exists: Problem {
        title: "A carteira já está aberta",
        detail: "Esta conta já tem uma carteira nesta moeda.",
    },
    content_unavailable: Problem {
        title: "Este item não pode ser aberto",
        detail: "Ele expirou, foi reembolsado ou não tem mais visualizações, ou foi comprado \
                 antes de o endereço ser guardado aqui: abra-o no site do fornecedor ou compre-o \
                 novamente lá.",
    },
};
