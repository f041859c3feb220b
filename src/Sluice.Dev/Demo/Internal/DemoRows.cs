using System.Globalization;

namespace Sluice.Dev.Demo.Internal;

/// <summary>
/// The demo's rows as pure functions of (seed, id): the same seed gives the same rows on every machine,
/// and any row can be derived alone, so the tables stream without holding rows in memory.
/// </summary>
internal sealed class DemoRows
{
    /// <summary>
    /// The dataset's "now". Fixed rather than the clock so that a seed always gives the same rows; every
    /// timestamp lies before it.
    /// </summary>
    public static readonly DateTime AsOf = new(2025, 6, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>
    /// Users come in blocks of consecutive ids; some blocks were bulk-imported (a CRM migration) and most of
    /// their rows still carry the import's <c>updated_at</c>, to the microsecond. Those ties are what keyset
    /// pagination on (updated_at, id) must get right.
    /// </summary>
    public const int ImportBlockSize = 1_000;

    private const double ImportBlockChance = 0.3;
    private const double TiedWithinImportBlock = 0.85;
    private const int Day = 86_400;
    private const int Year = 365 * Day;

    private static readonly string[] CompanyWordSlugs = [.. DemoVocabulary.CompanyWords.Select(w => w.ToLowerInvariant())];
    private static readonly string[] CompanySuffixSlugs = [.. DemoVocabulary.CompanySuffixes.Select(w => w.ToLowerInvariant())];
    private static readonly string[][] TagSets = BuildTagSets();

    private readonly int _seed;
    private readonly long _accounts;
    private readonly int _ordersPerUser;

    public DemoRows(int seed, long accounts, int ordersPerUser)
    {
        _seed = seed;
        _accounts = accounts;
        _ordersPerUser = ordersPerUser;
    }

    /// <summary>Accounts for a number of users: about one per ten, at least one when there are users.</summary>
    public static long AccountsFor(long users) => (users + 9) / 10;

    public DemoAccount Account(long id)
    {
        var rng = DemoRandom.For(_seed, DemoStream.Accounts, id);
        var word = rng.Next(DemoVocabulary.CompanyWords.Length);
        var suffix = rng.Next(DemoVocabulary.CompanySuffixes.Length);
        var plan = rng.Pick(DemoVocabulary.AccountPlans);
        var seats = plan switch
        {
            "free" => rng.Next(1, 5),
            "trial" => rng.Next(1, 10),
            "pro" => rng.Chance(0.2) ? rng.Next(60, 200) : rng.Next(5, 60),
            _ => rng.Chance(0.2) ? rng.Next(400, 2_000) : rng.Next(100, 400),
        };
        var pricePerSeatCents = plan switch
        {
            "pro" => rng.Next(1_500, 4_500),
            "enterprise" => rng.Next(3_000, 9_000),
            _ => 0,
        };
        var createdAt = AsOf.AddSeconds(-rng.Next(30 * Day, 4 * Year));
        var updatedAt = Between(ref rng, createdAt, AsOf);
        return new DemoAccount(
            id,
            $"{DemoVocabulary.CompanyWords[word]} {DemoVocabulary.CompanySuffixes[suffix]}",
            AccountDomain(id, word, suffix),
            plan,
            seats,
            Cents((long)seats * pricePerSeatCents),
            createdAt,
            updatedAt);
    }

    public DemoUser User(long id)
    {
        var rng = DemoRandom.For(_seed, DemoStream.Users, id);

        // Skewed towards low ids: the oldest accounts are the biggest customers.
        var u = rng.NextDouble();
        var accountId = 1 + Math.Min(_accounts - 1, (long)(_accounts * u * u));
        var first = rng.Pick(DemoVocabulary.FirstNames);
        var last = rng.Pick(DemoVocabulary.LastNames);
        var email = Email(ref rng, id, first, last, accountId);

        var status = rng.Pick(DemoVocabulary.UserStatuses);
        var plan = status switch
        {
            "trial" => "trial",
            "paid" => rng.Chance(0.75) ? "pro" : "enterprise",
            "active" => rng.Chance(0.8) ? "free" : "pro",
            _ => rng.Chance(0.7) ? "free" : "pro",
        };
        var lifetimeValue = (status, plan) switch
        {
            ("paid", "enterprise") => Cents(rng.Next(100_000, 5_000_000)),
            ("paid", _) => Cents(rng.Next(5_000, 500_000)),
            ("active", "pro") => Cents(rng.Next(2_000, 200_000)),
            ("churned", "pro") => Cents(rng.Next(1_000, 150_000)),
            _ => 0m,
        };
        var country = rng.Pick(DemoVocabulary.Countries);

        var block = DemoRandom.For(_seed, DemoStream.ImportBatches, (id - 1) / ImportBlockSize);
        var importBlock = block.Chance(ImportBlockChance);
        var importedAt = AsOf.AddSeconds(-block.Next(Day, 2 * Year)).AddTicks(block.Next(1_000_000) * 10L);
        var tied = importBlock && rng.Chance(TiedWithinImportBlock);

        DateTime signupAt;
        DateTime? lastSeenAt;
        DateTime updatedAt;
        if (tied)
        {
            signupAt = importedAt.AddSeconds(-rng.Next(Day, 2 * Year));
            lastSeenAt = rng.Chance(0.9) ? Between(ref rng, signupAt, importedAt) : null;
            updatedAt = importedAt;
        }
        else
        {
            signupAt = AsOf.AddSeconds(-rng.Next(Day, 3 * Year));
            var activeUntil = status == "churned" ? Min(AsOf, signupAt.AddDays(180)) : AsOf;
            lastSeenAt = rng.Chance(0.95) ? Between(ref rng, signupAt, activeUntil) : null;
            updatedAt = Min(AsOf, (lastSeenAt ?? signupAt).AddSeconds(rng.Next(0, 7 * Day)));
        }

        var source = tied ? "import" : rng.Pick(DemoVocabulary.SignupSources);
        var newsletter = rng.Chance(0.4) ? "true" : "false";
        var attributes = string.Create(
            CultureInfo.InvariantCulture,
            $"{{\"source\": \"{source}\", \"newsletter\": {newsletter}, \"logins\": {rng.Next(0, 500)}, \"theme\": \"{rng.Pick(DemoVocabulary.Themes)}\"}}");

        var tagMask = 0;
        for (var t = 0; t < DemoVocabulary.Tags.Length; t++)
        {
            if (rng.Chance(DemoVocabulary.TagChances[t]))
            {
                tagMask |= 1 << t;
            }
        }

        return new DemoUser(
            id, accountId, email, first.Display, last.Display, plan, status, signupAt, lastSeenAt,
            lifetimeValue, country, attributes, TagSets[tagMask], updatedAt);
    }

    /// <summary>The orders of one user, numbered from <paramref name="firstOrderId"/>; about <c>ordersPerUser</c> of them.</summary>
    public IEnumerable<DemoOrder> OrdersOf(DemoUser user, long firstOrderId)
    {
        var rng = DemoRandom.For(_seed, DemoStream.Orders, user.Id);
        var count = rng.Next(0, 2 * _ordersPerUser);
        var currency = DemoVocabulary.CurrencyOf(user.Country);
        for (var i = 0; i < count; i++)
        {
            // Yen have no minor unit.
            var amount = currency == "JPY" ? rng.Next(500, 60_000) : Cents(rng.Next(500, 50_000));
            var status = rng.Pick(DemoVocabulary.OrderStatuses);
            var createdAt = Between(ref rng, user.SignupAt, AsOf);
            var updatedAt = status switch
            {
                "paid" => createdAt.AddSeconds(rng.Next(1, 300)),
                "refunded" => createdAt.AddSeconds(rng.Next(Day, 30 * Day)),
                "failed" => createdAt.AddSeconds(rng.Next(1, 60)),
                _ => createdAt,
            };
            yield return new DemoOrder(firstOrderId + i, user.Id, amount, currency, status, createdAt, Min(AsOf, updatedAt));
        }
    }

    private string Email(ref DemoRandom rng, long id, DemoName first, DemoName last, long accountId)
    {
        // Every local part ends in the user id after a letter or a dot, so no two users can share an address.
        var local = rng.Next(5) switch
        {
            0 => string.Create(CultureInfo.InvariantCulture, $"{first.Slug}.{last.Slug}.{id}"),
            1 => string.Create(CultureInfo.InvariantCulture, $"{first.Slug[0]}{last.Slug}{id}"),
            2 => string.Create(CultureInfo.InvariantCulture, $"{first.Slug}{id}"),
            3 => string.Create(CultureInfo.InvariantCulture, $"{first.Slug}_{last.Slug}{id}"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{last.Slug}.{first.Slug}{id}"),
        };
        if (rng.Chance(0.3))
        {
            return $"{local}@{rng.Pick(DemoVocabulary.PersonalDomains)}";
        }

        // The account's words are the first two draws of its stream, as in Account().
        var account = DemoRandom.For(_seed, DemoStream.Accounts, accountId);
        var word = account.Next(DemoVocabulary.CompanyWords.Length);
        var suffix = account.Next(DemoVocabulary.CompanySuffixes.Length);
        return $"{local}@{AccountDomain(accountId, word, suffix)}";
    }

    private static string AccountDomain(long id, int word, int suffix) =>
        string.Create(CultureInfo.InvariantCulture, $"{CompanyWordSlugs[word]}-{CompanySuffixSlugs[suffix]}-{id}.example");

    private static DateTime Between(ref DemoRandom rng, DateTime from, DateTime to) =>
        to <= from ? from : from.AddSeconds(Math.Floor((to - from).TotalSeconds * rng.NextDouble()));

    private static DateTime Min(DateTime a, DateTime b) => a < b ? a : b;

    private static decimal Cents(long cents) => new((int)(cents & 0xFFFFFFFF), (int)(cents >> 32), 0, false, 2);

    private static string[][] BuildTagSets()
    {
        var sets = new string[1 << DemoVocabulary.Tags.Length][];
        for (var mask = 0; mask < sets.Length; mask++)
        {
            sets[mask] = [.. DemoVocabulary.Tags.Where((_, i) => (mask & (1 << i)) != 0)];
        }

        return sets;
    }
}
