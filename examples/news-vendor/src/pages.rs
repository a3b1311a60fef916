//! HTML pages: the front page, an article, the paywall, errors.
//!
//! Pure string building: no I/O, no state. Every piece of text goes through `escape`, even the
//! compile-time catalogue, so a later article with a `<` in its title cannot break a page.
//! A template engine was rejected: four small pages do not pay for a dependency.
//! Element ids (`li.article`, `a#buy-{slug}`, `a#read-{slug}`, `article#article`, `#paywall`,
//! `a#buy`, `#refused`, `main#error[data-code]`) are the contract the browser tests rely on.

use std::fmt::Write as _;

use crate::articles::Article;

/// Escapes text for HTML element content and double-quoted attribute values.
#[must_use]
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// The shared look: a newspaper masthead, one readable column.
const STYLE: &str = "\
*{box-sizing:border-box}\
body{margin:0;background:#f7f4ee;color:#1d1d1f;font:18px/1.6 Georgia,'Times New Roman',serif}\
.masthead{background:#fff;border-bottom:3px double #1d1d1f;text-align:center;padding:1.4rem 1rem .8rem}\
.masthead a{color:#1d1d1f;text-decoration:none;font-size:2.2rem;font-weight:700;letter-spacing:.02em}\
.tagline{margin:.2rem 0 0;color:#6b6b6b;font:italic .95rem/1.4 Georgia,serif}\
main{max-width:44rem;margin:2rem auto;padding:0 1.2rem}\
h1,h2{font-weight:700;line-height:1.25}\
h1{font-size:1.9rem;margin:.2rem 0 .8rem}\
h2{font-size:1.35rem;margin:0 0 .4rem}\
h2 a{color:#1d1d1f;text-decoration:none}\
h2 a:hover{text-decoration:underline}\
.articles{list-style:none;margin:0;padding:0}\
.article{background:#fff;border:1px solid #e2ddd3;border-radius:6px;padding:1.1rem 1.3rem;margin:0 0 1rem}\
.teaser{color:#444;margin:0 0 .8rem}\
.actions{display:flex;align-items:center;gap:1rem;margin:0;font-family:system-ui,sans-serif;font-size:.95rem}\
.price{font-weight:700;color:#1b5e20}\
.button{display:inline-block;background:#1b5e20;color:#fff;text-decoration:none;padding:.45rem 1rem;border-radius:4px;font-family:system-ui,sans-serif;font-size:.95rem;font-weight:600}\
.button:hover{background:#2e7d32}\
.kicker{font-family:system-ui,sans-serif;font-size:.8rem;text-transform:uppercase;letter-spacing:.08em;color:#1b5e20;margin:0}\
#article{background:#fff;border:1px solid #e2ddd3;border-radius:6px;padding:1.6rem 2rem}\
#paywall{background:#fff;border:1px solid #e2ddd3;border-radius:6px;padding:1.6rem 2rem}\
.gate{border-top:1px solid #e2ddd3;margin-top:1.2rem;padding-top:1.2rem;text-align:center}\
.notice{background:#fdecea;border-left:4px solid #b71c1c;color:#5f1111;padding:.7rem 1rem;font-family:system-ui,sans-serif;font-size:.95rem}\
.small{color:#6b6b6b;font-family:system-ui,sans-serif;font-size:.85rem}\
.back{font-family:system-ui,sans-serif;font-size:.95rem}\
.back a,.small a{color:#1b5e20}\
#error{background:#fff;border:1px solid #e2ddd3;border-radius:6px;padding:1.6rem 2rem}\
code{background:#f0ece4;padding:.1rem .35rem;border-radius:3px;font-size:.9rem}\
footer{max-width:44rem;margin:3rem auto 2rem;padding:0 1.2rem;color:#8a8a8a;font:.8rem/1.4 system-ui,sans-serif;text-align:center}";

/// A whole page around `main` (already HTML).
fn layout(site: &str, title: &str, main: &str) -> String {
    let site = escape(site);
    let title = escape(title);
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · {site}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <header class=\"masthead\"><a href=\"/\">{site}</a>\
         <p class=\"tagline\">Pay for the article you read. No subscription.</p></header>\n\
         {main}\n<footer>A demo vendor for farthing. Articles are paid for in farthing's buy \
         window; this site never sees your card or password.</footer>\n</body>\n</html>\n"
    )
}

/// `GET /`: every article with its price, a buy link and a read link.
#[must_use]
pub fn home(site: &str, articles: &[Article]) -> String {
    let mut main = String::from("<main id=\"home\">\n<ul class=\"articles\">\n");
    for article in articles {
        let slug = escape(article.slug);
        let price = escape(&article.display_price());
        // `write!` to a String cannot fail.
        let _ = writeln!(
            main,
            "<li class=\"article\" id=\"article-{slug}\">\
             <h2><a id=\"read-{slug}\" href=\"/articles/{slug}\">{title}</a></h2>\
             <p class=\"teaser\">{teaser}</p>\
             <p class=\"actions\"><span class=\"price\">{price}</span>\
             <a class=\"button\" id=\"buy-{slug}\" href=\"/buy/{slug}\">Buy for {price}</a></p>\
             </li>",
            title = escape(article.title),
            teaser = escape(article.teaser),
        );
    }
    main.push_str("</ul>\n</main>");
    layout(site, "Front page", &main)
}

/// `GET /articles/{slug}` with a live reader session: the paid text.
#[must_use]
pub fn article(site: &str, article: &Article) -> String {
    let mut main = format!(
        "<main>\n<article id=\"article\">\
         <p class=\"kicker\">Paid article · {price}</p>\
         <h1>{title}</h1><p class=\"teaser\"><em>{teaser}</em></p>",
        price = escape(&article.display_price()),
        title = escape(article.title),
        teaser = escape(article.teaser),
    );
    for paragraph in article.paragraphs {
        let _ = write!(main, "<p>{}</p>", escape(paragraph));
    }
    main.push_str("</article>\n<p class=\"back\"><a href=\"/\">← All articles</a></p>\n</main>");
    layout(site, article.title, &main)
}

/// `GET /articles/{slug}` without a reader session, or a refused token (`refused`).
#[must_use]
pub fn paywall(site: &str, article: &Article, refused: bool) -> String {
    let slug = escape(article.slug);
    let price = escape(&article.display_price());
    let notice = if refused {
        "<p id=\"refused\" class=\"notice\">This access link was refused: it was already used, \
         it expired, or it was copied from another browser. Each purchase opens the article \
         once for the browser that bought it.</p>"
    } else {
        ""
    };
    let main = format!(
        "<main>\n<section id=\"paywall\">\
         <p class=\"kicker\">Paid article</p>\
         <h1>{title}</h1><p class=\"teaser\">{teaser}</p>{notice}\
         <div class=\"gate\"><p>This article costs <strong>{price}</strong>. \
         To read it, buy it yourself.</p>\
         <a class=\"button\" id=\"buy\" href=\"/buy/{slug}\">Buy it yourself for {price}</a>\
         <p class=\"small\">Bought it already? The same button opens it again at no charge.</p>\
         </div></section>\n<p class=\"back\"><a href=\"/\">← All articles</a></p>\n</main>",
        title = escape(article.title),
        teaser = escape(article.teaser),
    );
    layout(site, article.title, &main)
}

/// An error page; `code` is machine-readable in `data-code`, `message` says it for people.
#[must_use]
pub fn error(site: &str, code: &str, message: &str) -> String {
    let code = escape(code);
    let main = format!(
        "<main id=\"error\" data-code=\"{code}\">\
         <h1>Sorry, that did not work</h1><p>{message}</p>\
         <p class=\"small\">Code: <code>{code}</code></p>\
         <p class=\"back\"><a href=\"/\">← Back to the front page</a></p></main>",
        message = escape(message),
    );
    layout(site, "Error", &main)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::articles::{ARTICLES, find};

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">Tom & Jerry's</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;"
        );
        assert_eq!(escape("plain"), "plain");
    }

    #[test]
    fn the_site_name_is_escaped() {
        let page = home("<b>News</b>", ARTICLES);
        assert!(page.contains("&lt;b&gt;News&lt;/b&gt;"));
        assert!(!page.contains("<b>News"));
    }

    #[test]
    fn the_home_page_links_every_article() {
        let page = home("News", ARTICLES);
        assert_eq!(
            page.matches("<li class=\"article\"").count(),
            ARTICLES.len()
        );
        for article in ARTICLES {
            let slug = article.slug;
            assert!(page.contains(&format!("id=\"buy-{slug}\" href=\"/buy/{slug}\"")));
            assert!(page.contains(&format!("id=\"read-{slug}\" href=\"/articles/{slug}\"")));
            assert!(page.contains(&format!("${}", article.price)));
        }
    }

    #[test]
    fn the_paywall_shows_refused_only_after_a_refusal() {
        let markets = find("markets").unwrap();
        let plain = paywall("News", markets, false);
        assert!(plain.contains("id=\"paywall\""));
        assert!(plain.contains("id=\"buy\" href=\"/buy/markets\""));
        assert!(!plain.contains("id=\"refused\""));
        assert!(!plain.contains(markets.paragraphs[0]));
        assert!(paywall("News", markets, true).contains("id=\"refused\""));
    }

    #[test]
    fn the_article_page_has_the_text() {
        let markets = find("markets").unwrap();
        let page = article("News", markets);
        assert!(page.contains("id=\"article\""));
        for paragraph in markets.paragraphs {
            assert!(page.contains(&escape(paragraph)));
        }
    }

    #[test]
    fn the_error_page_carries_the_code() {
        let page = error("News", "content_domain_unknown", "No <offer>.");
        assert!(page.contains("id=\"error\" data-code=\"content_domain_unknown\""));
        assert!(page.contains("No &lt;offer&gt;."));
    }
}
