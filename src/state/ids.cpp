#include "state/ids.hpp"

#include <sys/random.h>

#include <array>

#include "util/error.hpp"
#include "util/strings.hpp"

namespace skiff::state {

namespace {

void random_bytes(void* buf, size_t len) {
    auto* p = static_cast<unsigned char*>(buf);
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("getrandom");
        }
        p += n;
        len -= static_cast<size_t>(n);
    }
}

// Adjectives and notable scientists and engineers, in the spirit of Docker's
// generator (the word lists are facts, written out here in our own choice).
constexpr std::array kLeft = {
    "admiring", "adoring", "affectionate", "agitated", "amazing", "angry", "awesome", "beautiful",
    "blissful", "bold", "boring", "brave", "busy", "charming", "clever", "compassionate",
    "competent", "condescending", "confident", "cool", "cranky", "crazy", "dazzling", "determined",
    "distracted", "dreamy", "eager", "ecstatic", "elastic", "elated", "elegant", "eloquent",
    "epic", "exciting", "fervent", "festive", "flamboyant", "focused", "friendly", "frosty",
    "funny", "gallant", "gifted", "goofy", "gracious", "great", "happy", "hardcore",
    "heuristic", "hopeful", "hungry", "infallible", "inspiring", "intelligent", "interesting", "jolly",
    "jovial", "keen", "kind", "laughing", "loving", "lucid", "magical", "modest",
    "musing", "mystifying", "naughty", "nervous", "nice", "nifty", "nostalgic", "objective",
    "optimistic", "peaceful", "pedantic", "pensive", "practical", "priceless", "quirky", "quizzical",
    "recursing", "relaxed", "reverent", "romantic", "sad", "serene", "sharp", "silly",
    "sleepy", "stoic", "strange", "stupefied", "suspicious", "sweet", "tender", "thirsty",
    "trusting", "unruffled", "upbeat", "vibrant", "vigilant", "vigorous", "wizardly", "wonderful",
    "xenodochial", "youthful", "zealous", "zen"};

constexpr std::array kRight = {
    "agnesi", "albattani", "allen", "almeida", "archimedes", "ardinghelli", "aryabhata", "austin",
    "babbage", "banach", "bardeen", "bartik", "bassi", "bell", "bhabha", "bhaskara",
    "blackwell", "bohr", "booth", "borg", "bose", "boyd", "brahmagupta", "brattain",
    "brown", "carson", "cerf", "chandrasekhar", "clarke", "colden", "cori", "cray",
    "curie", "darwin", "davinci", "dijkstra", "dubinsky", "easley", "edison", "einstein",
    "elion", "engelbart", "euclid", "euler", "faraday", "feistel", "fermat", "fermi",
    "feynman", "franklin", "galileo", "gates", "goldberg", "goldstine", "golick", "goodall",
    "hamilton", "hawking", "heisenberg", "hellman", "hermann", "hertz", "hodgkin", "hofstadter",
    "hopper", "hugle", "hypatia", "jackson", "jang", "jennings", "jepsen", "johnson",
    "joliot", "jones", "kalam", "kapitsa", "keldysh", "kepler", "khorana", "kilby",
    "knuth", "kowalevski", "lalande", "lamarr", "lamport", "leakey", "leavitt", "lederberg",
    "lehmann", "lewin", "lichterman", "liskov", "lovelace", "lumiere", "mahavira", "margulis",
    "matsumoto", "maxwell", "mayer", "mccarthy", "mcclintock", "mclean", "meitner", "mendel",
    "mendeleev", "merkle", "mirzakhani", "montalcini", "moore", "morse", "moser", "napier",
    "nash", "neumann", "newton", "nightingale", "nobel", "noether", "northcutt", "noyce",
    "panini", "pare", "pascal", "pasteur", "payne", "perlman", "pike", "poincare",
    "poitras", "ptolemy", "raman", "ramanujan", "ride", "ritchie", "roentgen", "rosalind",
    "saha", "sammet", "shamir", "shannon", "shaw", "shirley", "shockley", "sinoussi",
    "snyder", "solomon", "spence", "stonebraker", "sutherland", "swanson", "swartz", "swirles",
    "tesla", "tharp", "thompson", "torvalds", "turing", "varahamihira", "vaughan", "villani",
    "visvesvaraya", "volhard", "wescoff", "wiles", "williams", "wilson", "wing", "wozniak",
    "wright", "wu", "yalow", "yonath", "zhukovsky"};

}  // namespace

std::string random_id() {
    unsigned char bytes[32];
    random_bytes(bytes, sizeof bytes);
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char b : bytes) {
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    // Docker never hands out an all-numeric ID: it would read as a number.
    bool all_digits = true;
    for (char c : out)
        if (c > '9') all_digits = false;
    return all_digits ? random_id() : out;
}

std::string short_id(std::string_view id) { return std::string(id.substr(0, 12)); }

std::string random_name() {
    uint32_t r[2];
    random_bytes(r, sizeof r);
    return std::string(kLeft[r[0] % kLeft.size()]) + "_" + kRight[r[1] % kRight.size()];
}

std::string resolve_id(Database& db, std::string_view table, std::string_view id_col, std::string_view name_col,
                       std::string_view ref, std::string_view kind) {
    std::string not_found = "no such " + std::string(kind) + ": " + std::string(ref);
    if (ref.empty()) throw NotFound(not_found);
    std::string t(table), idc(id_col);
    if (!name_col.empty()) {
        auto st = db.prepare("SELECT " + idc + " FROM " + t + " WHERE " + std::string(name_col) + " = ?1");
        st.bind(1, ref);
        if (st.step()) return st.text(0);
    }
    std::string lowered = str::lower(ref);
    if (!str::is_hex(lowered)) throw NotFound(not_found);
    // Prefix match on the primary key index: a range scan, not a table scan.
    auto st = db.prepare("SELECT " + idc + " FROM " + t + " WHERE " + idc + " >= ?1 AND " + idc + " < ?2 LIMIT 2");
    std::string upper = lowered;
    upper.back() = static_cast<char>(upper.back() + 1);
    st.bind(1, lowered).bind(2, upper);
    if (!st.step()) throw NotFound(not_found);
    std::string found = st.text(0);
    if (st.step())
        throw Error(std::string(kind) + " ID prefix \"" + std::string(ref) + "\" is ambiguous: it matches several " +
                    std::string(kind) + "s");
    return found;
}

}  // namespace skiff::state
