using System.Text;
using Sluice.Postgres;

namespace Sluice.State;

/// <summary>The schema holding Sluice's state, quoted for SQL, and the advisory-lock keys that belong to it.</summary>
public sealed class StateSchema
{
    private readonly long _lockClass;

    public StateSchema(string name)
    {
        Name = SqlNames.Quote(name);
        // Lock keys live in one database-wide space: give each state schema its own 32-bit class.
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes("sluice:" + name))
        {
            hash = (hash ^ b) * 16777619u;
        }

        _lockClass = (long)(hash & 0x7FFF_FFFF) << 32;
    }

    /// <summary>The quoted schema name, ready to prefix a table.</summary>
    public string Name { get; }

    /// <summary>0 is the migration lock; a sync's lock is its id.</summary>
    public long LockKey(long id) => _lockClass | (id & 0xFFFF_FFFF);
}
