//! The catalogue: the articles the demo sells, fixed at compile time.
//!
//! Pure data; depends on nothing else in the crate. A fixed list keeps the demo reproducible
//! (the browser tests and the README screenshots always see the same page); a database or a
//! directory of files was rejected as more moving parts than a demo needs.

/// One article for sale.
#[derive(Debug)]
pub struct Article {
    /// Path segment and `vendor_content_id` of the offer; ASCII lowercase, no escaping needed.
    pub slug: &'static str,
    /// Headline, sent to farthing as the offer title.
    pub title: &'static str,
    /// One sentence shown on the home page and the paywall, sent as `short_description`.
    pub teaser: &'static str,
    /// Price in USD as the decimal string farthing expects ("0.25").
    pub price: &'static str,
    /// Whether farthing delivers the access token by form post (`true`) or by a 303 redirect
    /// with the token in the query (`false`).
    pub is_post: bool,
    /// The paid text, one paragraph per entry.
    pub paragraphs: &'static [&'static str],
}

impl Article {
    /// The price as readers see it ("$0.25"); the offer carries the plain decimal string.
    #[must_use]
    pub fn display_price(&self) -> String {
        format!("${}", self.price)
    }
}

/// Every article, in home-page order.
pub const ARTICLES: &[Article] = &[
    Article {
        slug: "markets",
        title: "Markets close the week a penny higher",
        teaser: "Traders shrugged off a quiet Friday; our markets desk explains why the smallest \
                 moves told the biggest story.",
        price: "0.25",
        is_post: false,
        paragraphs: &[
            "The index ended the week exactly one penny above where it began, a result that \
             looks like nothing on a chart and turned out to be the sum of several loud days.",
            "Monday opened with a sell-off in shipping stocks after the harbour closure, \
             Wednesday brought a rally on better-than-expected retail figures, and Friday \
             spent its hours undoing both.",
            "Analysts we spoke to pointed to the same thing: volumes were thin, and a few \
             large orders moved prices further than the news behind them deserved. Expect \
             the same next week, when the central bank is silent and the calendar is empty.",
        ],
    },
    Article {
        slug: "harbour",
        title: "The harbour bridge reopens after three months",
        teaser: "Commuters return to the short way across the water, and the ferry operators \
                 count what the closure earned them.",
        price: "0.10",
        is_post: true,
        paragraphs: &[
            "The harbour bridge reopened to traffic at six this morning, eleven days ahead of \
             the schedule announced in the spring.",
            "Engineers replaced forty-two of the deck's expansion joints and repainted the \
             northern span. The council says the work should last twenty years.",
            "Ferry operators, who added night crossings during the closure, will keep one \
             late boat on Fridays and Saturdays for the rest of the summer.",
        ],
    },
    Article {
        slug: "longread",
        title: "The long read: how the farthing disappeared",
        teaser: "A coin worth a quarter of a penny bought bread for centuries. Then it bought \
                 nothing at all. A history of the smallest price.",
        price: "1.50",
        is_post: true,
        paragraphs: &[
            "For most of its seven hundred years the farthing was the price of something: a \
             candle, a bun, a newspaper. It stopped being legal tender at the end of 1960, \
             and few people noticed, because by then it bought almost nothing.",
            "What happened to the farthing happens to every small coin. Prices rise, the coin \
             stays the same, and one day it costs more to mint than it is worth. The things it \
             used to buy are then sold in bundles or not at all.",
            "Micropayments are an attempt to bring the farthing back without the metal: a \
             price small enough for a single article, paid without a card form, a password \
             prompt or a subscription. Whether readers want that is the question this demo \
             lets you try for yourself.",
        ],
    },
];

/// The article with this slug, if any.
#[must_use]
pub fn find(slug: &str) -> Option<&'static Article> {
    ARTICLES.iter().find(|article| article.slug == slug)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_has_the_contract_shape() {
        assert!(ARTICLES.len() >= 3);
        let markets = find("markets").unwrap();
        assert!(!markets.is_post);
        let posts = ARTICLES.iter().filter(|a| a.is_post).count();
        assert_eq!(posts, ARTICLES.len() - 1);
        let mut prices: Vec<&str> = ARTICLES.iter().map(|a| a.price).collect();
        prices.sort_unstable();
        assert_eq!(prices, ["0.10", "0.25", "1.50"]);
        for article in ARTICLES {
            assert!(
                article
                    .slug
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-')
            );
        }
        assert!(find("nope").is_none());
        assert_eq!(markets.display_price(), "$0.25");
    }
}
