//! The reader-facing words, one table per language, and the choice of language.
//!
//! A table is one string with a line per [`Key`], written with the `table!` macro so that
//! each line sits beside its key's name; a test checks every table against [`Key`]. One
//! string per language, rather than a struct of strings, spares the wasm a pointer and a
//! length per entry. `{}` marks where a value goes ([`fill`]). A plural line holds the
//! forms that the browser's `Intl.PluralRules` names for the language, as
//! `one:…|few:…|other:…`, "other" last. Numbers, dates and relative times are not here:
//! `Intl` formats them in the same language.

/// Every string the widget shows or announces, in table order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    LatestNews,
    Loading,
    Headlines,
    Pause,
    Play,
    NewBadge,
    /// Announced after a refresh that added items (plural).
    NewItems,
    /// `{}` is the category.
    LatestIn,
    /// `{}` is the category.
    NoBriefs,
    ReadMore,
    /// `{}` is a relative time: "Updated 4 minutes ago".
    Updated,
    CannotShow,
    TryAgain,
    FeedNetwork,
    /// `{}` is the HTTP status.
    FeedStatus,
    /// Too large, not JSON, or not a JSON Feed: the publisher's problem, in one line.
    FeedUnreadable,
    ReviewHeading,
    YourRating,
    /// A star's label (plural).
    Stars,
    Comment,
    Optional,
    /// `{}` is "12 / 1000".
    Characters,
    Send,
    Sending,
    Thanks,
    Another,
    Retry,
    MissingRating,
    ReviewNetwork,
    /// `{}` is the server's reason.
    ReviewRejected,
    /// `{}` is the HTTP status.
    ReviewServer,
    /// The public summary's count: "120 reader reviews" (plural).
    Reviews,
    /// Shown by the entry when the attributes are unusable.
    NotSetUp,
    /// Where the widget cannot run (no script, or the wasm blocked): the review prompt's
    /// place says so.
    ReviewsUnavailable,
}

/// The keys' names in table order, for the test that checks every table.
/// A BCP 47-shaped tag (`en`, `en-GB`, `az-Latn-AZ`) that the browser's `Intl` also accepts.
pub fn is_language_tag(v: &str) -> bool {
    let mut parts = v.split('-');
    let language = parts.next().is_some_and(|p| {
        matches!(p.len(), 2 | 3 | 5..=8) && p.chars().all(|c| c.is_ascii_alphabetic())
    });
    language
        && parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
        && crate::platform::supports_language(v)
}

#[cfg(test)]
const KEY_NAMES: &[&str] = &[
    "latest_news",
    "loading",
    "headlines",
    "pause",
    "play",
    "new_badge",
    "new_items",
    "latest_in",
    "no_briefs",
    "read_more",
    "updated",
    "cannot_show",
    "try_again",
    "feed_network",
    "feed_status",
    "feed_unreadable",
    "review_heading",
    "your_rating",
    "stars",
    "comment",
    "optional",
    "characters",
    "send",
    "sending",
    "thanks",
    "another",
    "retry",
    "missing_rating",
    "review_network",
    "review_rejected",
    "review_server",
    "reviews",
    "not_set_up",
    "reviews_unavailable",
];

/// Defines `$text`, the table (one line per key), and `$keys`, its keys' names in order.
macro_rules! table {
    ($text:ident, $keys:ident; $($key:ident = $line:literal,)*) => {
        const $text: &str = concat!($($line, "\n"),*);
        #[cfg(test)]
        const $keys: &[&str] = &[$(stringify!($key)),*];
    };
}

/// The languages we have words for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Az,
    Ru,
    Tr,
    Ar,
}

impl Lang {
    pub const ALL: [Lang; 5] = [Lang::En, Lang::Az, Lang::Ru, Lang::Tr, Lang::Ar];

    /// The language of a BCP 47 tag, by its primary subtag: `ru-RU` is Russian.
    pub fn of(tag: &str) -> Option<Lang> {
        let primary = tag.split('-').next().unwrap_or_default();
        Lang::ALL
            .into_iter()
            .find(|lang| primary.eq_ignore_ascii_case(lang.code()))
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Az => "az",
            Lang::Ru => "ru",
            Lang::Tr => "tr",
            Lang::Ar => "ar",
        }
    }

    fn table(self) -> &'static str {
        match self {
            Lang::En => EN,
            Lang::Az => AZ,
            Lang::Ru => RU,
            Lang::Tr => TR,
            Lang::Ar => AR,
        }
    }

    /// The line for `key`.
    pub fn text(self, key: Key) -> &'static str {
        self.table()
            .split('\n')
            .nth(key as usize)
            .unwrap_or_default()
    }

    /// The `dir` attribute for text in this language.
    pub fn dir(self) -> &'static str {
        if self == Lang::Ar {
            "rtl"
        } else {
            "ltr"
        }
    }
}

/// The language a widget speaks, and the full tag that `Intl` formats with.
#[derive(Debug, Clone, PartialEq)]
pub struct Locale {
    pub lang: Lang,
    /// `ru-RU` stays `ru-RU`, so that dates follow the region too.
    pub tag: yew::AttrValue,
}

impl Locale {
    /// The first candidate we have words for, in the order given; else English.
    /// Candidates are tags already checked as BCP 47 (see [`is_language_tag`]).
    pub fn choose(candidates: &[Option<&str>]) -> Locale {
        candidates
            .iter()
            .flatten()
            .find_map(|tag| {
                Lang::of(tag).map(|lang| Locale {
                    lang,
                    tag: tag.to_owned().into(),
                })
            })
            .unwrap_or(Locale {
                lang: Lang::En,
                tag: "en".into(),
            })
    }

    /// The first of `candidates` (`lang`, the feed's, the page's) we have words for, then
    /// the `reader`'s language, else English; and in the reader's regional format when the
    /// reader speaks the language chosen and its tag names no more than the language: an
    /// `en` page read in `en-GB` dates "5 December 2023 22:27", not "December 5, 2023".
    pub fn for_reader(candidates: &[Option<&str>], reader: Option<&str>) -> Locale {
        let mut all = candidates.to_vec();
        all.push(reader);
        let mut locale = Locale::choose(&all);
        if let Some(reader) = reader.filter(|tag| Lang::of(tag) == Some(locale.lang)) {
            if !locale.tag.contains('-') {
                locale.tag = reader.to_owned().into();
            }
        }
        locale
    }

    pub fn text(&self, key: Key) -> &'static str {
        self.lang.text(key)
    }

    /// The plural line `key` for `n`, with `shown` (`n` as the reader should see it) filled
    /// in. The category comes from the browser's `Intl.PluralRules`.
    pub fn plural(&self, key: Key, n: f64, shown: &str) -> String {
        let category = crate::platform::plural_category(n, Some(&self.tag));
        fill(plural(self.text(key), &category), shown)
    }
}

/// A whole number as digits. Every count goes through this one `u32` conversion: each
/// integer type's own `to_string` would ship its own copy.
pub fn digits(n: u32) -> String {
    n.to_string()
}

/// `template` with its `{}` replaced by `value`.
pub fn fill(template: &str, value: &str) -> String {
    // A char search, not `replacen`: a substring searcher would add 2 KB to the wasm.
    match template.split_once('{') {
        Some((before, after)) => {
            before.to_owned() + value + after.strip_prefix('}').unwrap_or(after)
        }
        None => template.to_owned(),
    }
}

/// `text` between Unicode isolates, like `<bdi>`: a left-to-right name inside
/// right-to-left words (or the reverse) keeps its own order, and its neighbours theirs.
pub fn isolate(text: &str) -> String {
    "\u{2068}".to_owned() + text + "\u{2069}"
}

/// The form for a plural `category` in a line of `category:text` forms joined by `|`,
/// else the last (`other`) form.
pub fn plural(line: &'static str, category: &str) -> &'static str {
    let mut last = "";
    for (name, text) in line.split('|').filter_map(|form| form.split_once(':')) {
        if name == category {
            return text;
        }
        last = text;
    }
    last
}

table! {
    EN, EN_KEYS;
    latest_news = "Latest news",
    loading = "Loading the latest news…",
    headlines = "Headlines",
    pause = "Pause headlines",
    play = "Play headlines",
    new_badge = "New",
    new_items = "one:{} new story|other:{} new stories",
    latest_in = "Latest in {}",
    no_briefs = "No briefs in {} right now.",
    read_more = "Read the full story",
    updated = "Updated {}",
    cannot_show = "The news can't be shown right now.",
    try_again = "Try again",
    feed_network = "The news service could not be reached.",
    feed_status = "The news service answered with HTTP status {}.",
    feed_unreadable = "The news feed could not be read.",
    review_heading = "Leave a review",
    your_rating = "Your rating",
    stars = "one:{} star out of 5|other:{} stars out of 5",
    comment = "Comment",
    optional = "(optional)",
    characters = "{} characters",
    send = "Send review",
    sending = "Sending your review…",
    thanks = "Thank you! Your review was sent.",
    another = "Write another review",
    retry = "Retry",
    missing_rating = "Choose a rating from 1 to 5 stars first.",
    review_network = "The review could not be sent. Check your connection and try again.",
    review_rejected = "The review was not accepted: {}",
    review_server = "The review service had a problem (HTTP {}). Please try again.",
    reviews = "one:{} reader review|other:{} reader reviews",
    not_set_up = "This news widget is not set up correctly, so it cannot show the news.",
    reviews_unavailable = "Reviews can't be sent from this page.",
}

table! {
    AZ, AZ_KEYS;
    latest_news = "Son xəbərlər",
    loading = "Son xəbərlər yüklənir…",
    headlines = "Əsas xəbərlər",
    pause = "Başlıqları dayandır",
    play = "Başlıqları davam etdir",
    new_badge = "Yeni",
    new_items = "other:{} yeni xəbər",
    latest_in = "Son xəbərlər: {}",
    no_briefs = "Hazırda {} bölməsində xəbər yoxdur.",
    read_more = "Xəbərin tam mətnini oxuyun",
    updated = "{} yeniləndi",
    cannot_show = "Xəbərləri hazırda göstərmək mümkün deyil.",
    try_again = "Yenidən cəhd edin",
    feed_network = "Xəbər xidmətinə qoşulmaq mümkün olmadı.",
    feed_status = "Xəbər xidməti HTTP {} status kodu ilə cavab verdi.",
    feed_unreadable = "Xəbər lentini oxumaq mümkün olmadı.",
    review_heading = "Rəy yazın",
    your_rating = "Qiymətiniz",
    stars = "other:5 ulduzdan {}",
    comment = "Şərh",
    optional = "(istəyə bağlı)",
    characters = "{} simvol",
    send = "Rəyi göndər",
    sending = "Rəyiniz göndərilir…",
    thanks = "Təşəkkür edirik! Rəyiniz göndərildi.",
    another = "Başqa rəy yazın",
    retry = "Yenidən cəhd et",
    missing_rating = "Əvvəlcə 1-dən 5-ə qədər ulduzla qiymət seçin.",
    review_network = "Rəyi göndərmək mümkün olmadı. Bağlantınızı yoxlayıb yenidən cəhd edin.",
    review_rejected = "Rəy qəbul edilmədi: {}",
    review_server = "Rəy xidmətində problem yarandı (HTTP {}). Zəhmət olmasa, yenidən cəhd edin.",
    reviews = "other:{} oxucu rəyi",
    not_set_up = "Bu xəbər vidceti düzgün qurulmayıb, ona görə xəbərləri göstərə bilmir.",
    reviews_unavailable = "Bu səhifədən rəy göndərmək mümkün deyil.",
}

table! {
    RU, RU_KEYS;
    latest_news = "Последние новости",
    loading = "Загружаем последние новости…",
    headlines = "Главное",
    pause = "Остановить ленту заголовков",
    play = "Запустить ленту заголовков",
    new_badge = "Новое",
    new_items = "one:{} новый материал|few:{} новых материала|many:{} новых материалов|other:{} нового материала",
    latest_in = "Последнее в рубрике {}",
    no_briefs = "В рубрике {} сейчас нет новостей.",
    read_more = "Читать полностью",
    updated = "Обновлено {}",
    cannot_show = "Сейчас новости не удаётся показать.",
    try_again = "Повторить",
    feed_network = "Не удалось связаться с новостной службой.",
    feed_status = "Новостная служба ответила кодом HTTP {}.",
    feed_unreadable = "Не удалось прочитать ленту новостей.",
    review_heading = "Оставьте отзыв",
    your_rating = "Ваша оценка",
    stars = "one:{} звезда из 5|few:{} звезды из 5|many:{} звёзд из 5|other:{} звезды из 5",
    comment = "Комментарий",
    optional = "(необязательно)",
    characters = "Символов: {}",
    send = "Отправить отзыв",
    sending = "Отправляем ваш отзыв…",
    thanks = "Спасибо! Ваш отзыв отправлен.",
    another = "Написать ещё один отзыв",
    retry = "Повторить",
    missing_rating = "Сначала поставьте оценку от 1 до 5 звёзд.",
    review_network = "Не удалось отправить отзыв. Проверьте подключение и попробуйте снова.",
    review_rejected = "Отзыв не принят: {}",
    review_server = "Ошибка сервиса отзывов (HTTP {}). Попробуйте ещё раз.",
    reviews = "one:{} отзыв читателей|few:{} отзыва читателей|many:{} отзывов читателей|other:{} отзыва читателей",
    not_set_up = "Этот новостной виджет настроен неправильно и не может показать новости.",
    reviews_unavailable = "С этой страницы нельзя отправить отзыв.",
}

table! {
    TR, TR_KEYS;
    latest_news = "Son haberler",
    loading = "Son haberler yükleniyor…",
    headlines = "Manşetler",
    pause = "Manşetleri duraklat",
    play = "Manşetleri oynat",
    new_badge = "Yeni",
    new_items = "other:{} yeni haber",
    latest_in = "Son gelişmeler: {}",
    no_briefs = "Şu anda {} kategorisinde haber yok.",
    read_more = "Haberin tamamını okuyun",
    updated = "{} güncellendi",
    cannot_show = "Haberler şu anda gösterilemiyor.",
    try_again = "Tekrar dene",
    feed_network = "Haber servisine ulaşılamadı.",
    feed_status = "Haber servisi HTTP {} durum koduyla yanıt verdi.",
    feed_unreadable = "Haber akışı okunamadı.",
    review_heading = "Değerlendirme yazın",
    your_rating = "Puanınız",
    stars = "other:5 üzerinden {} yıldız",
    comment = "Yorum",
    optional = "(isteğe bağlı)",
    characters = "{} karakter",
    send = "Gönder",
    sending = "Değerlendirmeniz gönderiliyor…",
    thanks = "Teşekkürler! Değerlendirmeniz gönderildi.",
    another = "Başka bir değerlendirme yazın",
    retry = "Yeniden dene",
    missing_rating = "Önce 1 ile 5 yıldız arasında bir puan seçin.",
    review_network = "Değerlendirme gönderilemedi. Bağlantınızı kontrol edip tekrar deneyin.",
    review_rejected = "Değerlendirme kabul edilmedi: {}",
    review_server = "Değerlendirme servisinde bir sorun oluştu (HTTP {}). Lütfen tekrar deneyin.",
    reviews = "other:{} okur değerlendirmesi",
    not_set_up = "Bu haber bileşeni doğru kurulmamış, bu yüzden haberleri gösteremiyor.",
    reviews_unavailable = "Bu sayfadan değerlendirme gönderilemiyor.",
}

table! {
    AR, AR_KEYS;
    latest_news = "آخر الأخبار",
    loading = "جارٍ تحميل آخر الأخبار…",
    headlines = "العناوين الرئيسية",
    pause = "إيقاف شريط العناوين مؤقتًا",
    play = "تشغيل شريط العناوين",
    new_badge = "جديد",
    new_items = "one:خبر جديد واحد|two:خبران جديدان|few:{} أخبار جديدة|many:{} خبرًا جديدًا|other:{} خبر جديد",
    latest_in = "الأحدث في {}",
    no_briefs = "لا توجد أخبار في {} حاليًا.",
    read_more = "اقرأ الخبر كاملًا",
    updated = "آخر تحديث {}",
    cannot_show = "تعذّر عرض الأخبار الآن.",
    try_again = "أعد المحاولة",
    feed_network = "تعذّر الوصول إلى خدمة الأخبار.",
    feed_status = "ردّت خدمة الأخبار برمز الحالة HTTP {}.",
    feed_unreadable = "تعذّرت قراءة موجز الأخبار.",
    review_heading = "اكتب تقييمًا",
    your_rating = "تقييمك",
    stars = "one:نجمة واحدة من 5|two:نجمتان من 5|few:{} نجوم من 5|other:{} نجمة من 5",
    comment = "تعليق",
    optional = "(اختياري)",
    characters = "عدد الأحرف: {}",
    send = "أرسل التقييم",
    sending = "جارٍ إرسال تقييمك…",
    thanks = "شكرًا لك! تم إرسال تقييمك.",
    another = "اكتب تقييمًا آخر",
    retry = "أعد المحاولة",
    missing_rating = "اختر أولًا تقييمًا من نجمة واحدة إلى 5 نجوم.",
    review_network = "تعذّر إرسال التقييم. تحقّق من اتصالك وحاول مرة أخرى.",
    review_rejected = "لم يُقبل التقييم: {}",
    review_server = "حدثت مشكلة في خدمة التقييمات (HTTP {}). يُرجى المحاولة مرة أخرى.",
    reviews = "one:تقييم واحد من القرّاء|two:تقييمان من القرّاء|few:{} تقييمات من القرّاء|many:{} تقييمًا من القرّاء|other:{} تقييم من القرّاء",
    not_set_up = "أداة الأخبار هذه غير مُعدّة بشكل صحيح، لذا لا يمكنها عرض الأخبار.",
    reviews_unavailable = "لا يمكن إرسال التقييمات من هذه الصفحة.",
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLES: [(Lang, &str, &[&str]); 5] = [
        (Lang::En, EN, EN_KEYS),
        (Lang::Az, AZ, AZ_KEYS),
        (Lang::Ru, RU, RU_KEYS),
        (Lang::Tr, TR, TR_KEYS),
        (Lang::Ar, AR, AR_KEYS),
    ];

    fn is_plural(key: &str) -> bool {
        matches!(key, "new_items" | "stars" | "reviews")
    }

    #[test]
    fn every_language_has_every_key_in_order() {
        for (lang, text, keys) in TABLES {
            assert_eq!(
                keys, KEY_NAMES,
                "{lang:?}: keys missing, extra or out of order"
            );
            // One line per key, and no stray line break inside one.
            assert_eq!(text.lines().count(), KEY_NAMES.len(), "{lang:?}");
        }
        // The enum and the names agree, so `Key` indexes the right line.
        assert_eq!(Lang::En.text(Key::Send), "Send review");
        assert_eq!(Lang::En.text(Key::NotSetUp).split(' ').next(), Some("This"));
        assert_eq!(Key::ReviewsUnavailable as usize, KEY_NAMES.len() - 1);
    }

    #[test]
    fn every_line_is_filled_with_the_same_placeholders_as_english() {
        let english: Vec<&str> = EN.lines().collect();
        for (lang, text, _) in TABLES {
            for ((key, line), en) in KEY_NAMES.iter().zip(text.lines()).zip(&english) {
                assert!(!line.trim().is_empty(), "{lang:?}.{key} is empty");
                assert_eq!(line.trim(), line, "{lang:?}.{key} has outer spaces");
                if is_plural(key) {
                    let forms: Vec<_> = line.split('|').map(|f| f.split_once(':')).collect();
                    assert!(forms.iter().all(Option::is_some), "{lang:?}.{key}: {line}");
                    assert_eq!(
                        forms.last().unwrap().unwrap().0,
                        "other",
                        "{lang:?}.{key}: the last form must be `other`"
                    );
                } else {
                    // A plain line takes its value in every language. (A plural form like
                    // Arabic's "one" may spell the number out instead.)
                    assert_eq!(
                        line.matches("{}").count(),
                        en.matches("{}").count(),
                        "{lang:?}.{key}: placeholders differ from English"
                    );
                }
            }
        }
    }

    #[test]
    fn no_other_language_is_an_untranslated_copy_of_english() {
        for (lang, text, _) in &TABLES[1..] {
            let same: Vec<_> = KEY_NAMES
                .iter()
                .zip(text.lines().zip(EN.lines()))
                .filter(|(_, (a, b))| a == b)
                .map(|(key, _)| key)
                .collect();
            assert!(same.is_empty(), "{lang:?} repeats English for {same:?}");
        }
    }

    #[test]
    fn the_first_language_we_speak_wins_in_order() {
        let chosen = |candidates: &[Option<&str>]| {
            let locale = Locale::choose(candidates);
            (locale.lang, locale.tag.to_string())
        };
        assert_eq!(
            chosen(&[Some("ru-RU"), Some("tr")]),
            (Lang::Ru, "ru-RU".into())
        );
        // A language without a table is passed over, not half-used.
        assert_eq!(
            chosen(&[Some("fr"), None, Some("az-Latn-AZ")]),
            (Lang::Az, "az-Latn-AZ".into())
        );
        assert_eq!(chosen(&[Some("AR")]), (Lang::Ar, "AR".into()));
        assert_eq!(chosen(&[Some("de"), None]), (Lang::En, "en".into()));
        assert_eq!(chosen(&[]), (Lang::En, "en".into()));
        // "arn" (Mapudungun) is not Arabic.
        assert_eq!(chosen(&[Some("arn")]).0, Lang::En);
    }

    #[test]
    fn the_reader_lends_their_region_to_a_language_they_speak() {
        let chosen = |candidates: &[Option<&str>], reader| {
            let locale = Locale::for_reader(candidates, reader);
            (locale.lang, locale.tag.to_string())
        };
        // An English page, a British reader: British dates.
        assert_eq!(
            chosen(&[None, Some("en")], Some("en-GB")),
            (Lang::En, "en-GB".into())
        );
        // A region the partner chose stays.
        assert_eq!(
            chosen(&[Some("en-US")], Some("en-GB")),
            (Lang::En, "en-US".into())
        );
        // Another language: the reader's region does not apply.
        assert_eq!(
            chosen(&[Some("ru")], Some("en-GB")),
            (Lang::Ru, "ru".into())
        );
        // Nothing else given: the reader's own language.
        assert_eq!(
            chosen(&[None, Some("fr")], Some("az-AZ")),
            (Lang::Az, "az-AZ".into())
        );
        assert_eq!(chosen(&[], Some("de-DE")), (Lang::En, "en".into()));
    }

    #[test]
    fn only_arabic_is_right_to_left() {
        let rtl: Vec<_> = Lang::ALL.into_iter().filter(|l| l.dir() == "rtl").collect();
        assert_eq!(rtl, [Lang::Ar]);
    }

    #[test]
    fn plural_forms_fall_back_to_other() {
        let stars = |lang: Lang| lang.text(Key::Stars);
        assert_eq!(plural(stars(Lang::Ru), "few"), "{} звезды из 5");
        assert_eq!(plural(stars(Lang::Ru), "many"), "{} звёзд из 5");
        assert_eq!(plural(stars(Lang::Tr), "one"), "5 üzerinden {} yıldız");
        assert_eq!(plural(stars(Lang::Ar), "two"), "نجمتان من 5");
        assert_eq!(plural(stars(Lang::En), "zero"), "{} stars out of 5");
    }

    #[test]
    fn filled_values_can_be_isolated_from_the_surrounding_direction() {
        assert_eq!(
            fill(Lang::Ar.text(Key::LatestIn), &isolate("Politics")),
            "الأحدث في \u{2068}Politics\u{2069}"
        );
        assert_eq!(fill("{} karakter", "3 / 9"), "3 / 9 karakter");
        assert_eq!(fill("no placeholder", "x"), "no placeholder");
    }

    #[test]
    fn language_tags_are_read_as_bcp_47_and_intl_reads_them() {
        for tag in ["en", "en-GB", "az-Latn-AZ", "ast"] {
            assert!(is_language_tag(tag), "{tag}");
        }
        for tag in [
            "",
            "e",
            "en_US",
            "abcd",
            "en-a",
            "en--GB",
            "en-GB-",
            "english language",
        ] {
            assert!(!is_language_tag(tag), "{tag}");
        }
    }
}
