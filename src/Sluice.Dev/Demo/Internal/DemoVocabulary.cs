namespace Sluice.Dev.Demo.Internal;

/// <summary>The small word lists the demo rows are made of. Weighted lists repeat an entry by its weight.</summary>
internal static class DemoVocabulary
{
    /// <summary>First names; a few carry diacritics so that UTF-8 travels end to end.</summary>
    public static readonly DemoName[] FirstNames = Names(
        "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
        "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
        "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Sandra", "Mark", "Ashley", "Steven", "Emily",
        "Andrew", "Michelle", "Kevin", "Amanda", "Brian", "Melissa", "George", "Stephanie", "Timothy", "Rebecca",
        "Oliver", "Amelia", "Noah", "Olivia", "Liam", "Emma", "Lucas", "Mia", "Mateo", "Sofia",
        "Hugo", "Léa", "Lukas", "Hannah", "Björn", "Ingrid", "José", "María", "Zoë", "Chloé",
        "Raj", "Priya", "Arjun", "Ananya", "Wei", "Mei", "Hiroshi", "Yuki", "Kwame", "Amara",
        "Mohammed", "Fatima", "Omar", "Leila", "Ivan", "Olga", "Łukasz", "Zofia", "Aoife", "Ciarán");

    public static readonly DemoName[] LastNames = Names(
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
        "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
        "Lee", "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen",
        "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell",
        "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Dubois", "Lefèvre", "Moreau", "Rossi", "Bianchi",
        "Núñez", "Pérez", "Silva", "Santos", "Oliveira", "Novak", "Kowalski", "Nowak", "Andersson", "Johansson",
        "Nielsen", "Jensen", "Patel", "Sharma", "Singh", "Kumar", "Wang", "Li", "Zhang", "Chen",
        "Tanaka", "Suzuki", "Sato", "Kim", "Park", "Nguyen", "Okafor", "Mensah", "O'Brien", "Murphy");

    public static readonly string[] CompanyWords =
    [
        "Acme", "Blue", "Harbor", "Summit", "North", "Cedar", "Pioneer", "Vertex", "Quantum", "Atlas",
        "Bright", "Silver", "Granite", "Maple", "Orbit", "Falcon", "Beacon", "Nimbus", "Crescent", "Horizon",
        "Iron", "Lumen", "Meridian", "Nova", "Oak", "Pine", "Radiant", "Sterling", "Tidal", "Willow",
    ];

    public static readonly string[] CompanySuffixes =
    [
        "Labs", "Analytics", "Systems", "Software", "Health", "Logistics", "Capital", "Media", "Robotics", "Foods",
        "Studio", "Networks", "Energy", "Retail", "Partners", "Cloud", "Security", "Bio", "Works", "Group",
    ];

    /// <summary>
    /// Personal mail domains. Every domain in the dataset is under a reserved name (RFC 2606), so a demo that
    /// is pointed at a real destination by mistake never mails a real person.
    /// </summary>
    public static readonly string[] PersonalDomains = ["example.com", "example.net", "example.org", "mail.example"];

    public static readonly string[] Countries = Weighted(
        ("US", 34), ("GB", 9), ("DE", 8), ("FR", 6), ("CA", 5), ("IN", 6), ("BR", 5), ("AU", 3), ("NL", 3), ("ES", 3),
        ("IT", 3), ("SE", 2), ("JP", 3), ("MX", 2), ("PL", 2), ("IE", 1), ("NG", 2), ("SG", 1), ("KR", 1), ("ZA", 1));

    public static readonly string[] UserStatuses = Weighted(("trial", 10), ("active", 45), ("paid", 30), ("churned", 15));

    public static readonly string[] AccountPlans = Weighted(("free", 35), ("trial", 10), ("pro", 40), ("enterprise", 15));

    public static readonly string[] SignupSources = Weighted(
        ("organic", 40), ("paid_search", 20), ("referral", 15), ("partner", 10), ("webinar", 5), ("import", 10));

    public static readonly string[] Themes = ["light", "dark", "system"];

    public static readonly string[] Tags = ["beta", "vip", "newsletter", "api", "mobile", "at_risk"];

    /// <summary>Chance of each entry of <see cref="Tags"/> on a user.</summary>
    public static readonly double[] TagChances = [0.08, 0.03, 0.35, 0.12, 0.20, 0.06];

    public static readonly string[] OrderStatuses = Weighted(("paid", 80), ("pending", 8), ("refunded", 7), ("failed", 5));

    public static string CurrencyOf(string country) => country switch
    {
        "GB" => "GBP",
        "DE" or "FR" or "NL" or "ES" or "IT" or "IE" => "EUR",
        "JP" => "JPY",
        "CA" => "CAD",
        "AU" => "AUD",
        "SE" => "SEK",
        "PL" => "PLN",
        "IN" => "INR",
        "BR" => "BRL",
        _ => "USD",
    };

    private static DemoName[] Names(params string[] names) => [.. names.Select(n => new DemoName(n, Slug(n)))];

    /// <summary>The ASCII, lower-case form of a name for an email address ("Núñez" → "nunez", "O'Brien" → "obrien").</summary>
    private static string Slug(string name)
    {
        var slug = new System.Text.StringBuilder(name.Length);
        foreach (var c in name.ToLowerInvariant())
        {
            var folded = c switch
            {
                'à' or 'á' or 'â' or 'ä' or 'å' => 'a',
                'ç' => 'c',
                'è' or 'é' or 'ê' or 'ë' => 'e',
                'ì' or 'í' or 'î' or 'ï' => 'i',
                'ñ' => 'n',
                'ò' or 'ó' or 'ô' or 'ö' or 'ø' => 'o',
                'ù' or 'ú' or 'û' or 'ü' => 'u',
                'ł' => 'l',
                _ => c,
            };
            if (char.IsAsciiLetterLower(folded))
            {
                slug.Append(folded);
            }
        }

        return slug.ToString();
    }

    private static string[] Weighted(params (string Value, int Weight)[] entries) =>
        [.. entries.SelectMany(e => Enumerable.Repeat(e.Value, e.Weight))];
}
