//! Reading a fork network as a whole, for the labor ledger: every member's commits with their
//! changed paths, the commits a ref move makes reachable, ancestry, branch tips, the root.

use git2::Oid;

use super::read::{commit_info, paths_of, resolve};
use super::{CommitInfo, DesignId, Error, Result, Store};

impl Store {
    /// Every commit reachable from any branch of any member of `network`, each once, with the
    /// design it is attributed to: the member nearest the root (fewest ancestors, then by
    /// name) whose branches reach it. A new fork is always deeper than the design it copies,
    /// so forking never moves a commit; merging upstream does. Within a design, oldest first
    /// (commit time, then id): a stable order.
    /// The paths each commit changed (against its first parent) come along for the commits
    /// `wants_paths` selects, read through one repository handle.
    #[allow(clippy::type_complexity)]
    pub fn network_commits_with_paths(
        &self,
        network: &str,
        wants_paths: &dyn Fn(&CommitInfo) -> bool,
    ) -> Result<Vec<(DesignId, Vec<(CommitInfo, Option<Vec<String>>)>)>> {
        let members = self.network(network)?;
        let mut members: Vec<(usize, DesignId)> = members
            .into_iter()
            .map(|(id, _)| Ok((self.ancestry(&id)?.len(), id)))
            .collect::<Result<_>>()?;
        members.sort();
        let members: Vec<(DesignId, ())> = members.into_iter().map(|(_, id)| (id, ())).collect();
        let pool = self.open_pool(network)?;
        // One traversal of the whole network: each member, in order, takes the commits its
        // branches reach that no earlier member took.
        let mut taken: std::collections::HashSet<Oid> = std::collections::HashSet::new();
        let mut out = Vec::new();
        for (id, _) in members {
            let repo = self.open_repo(&id)?;
            let mut stack = Vec::new();
            for branch in repo.branches(Some(git2::BranchType::Local))? {
                let (branch, _) = branch?;
                if let Some(oid) = branch.get().target() {
                    stack.push(oid);
                }
            }
            let mut commits = Vec::new();
            while let Some(oid) = stack.pop() {
                if !taken.insert(oid) {
                    continue;
                }
                let commit = pool.find_commit(oid)?;
                stack.extend(commit.parent_ids().filter(|p| !taken.contains(p)));
                let info = commit_info(&commit);
                let paths = if wants_paths(&info) {
                    Some(paths_of(&pool, &commit)?)
                } else {
                    None
                };
                commits.push((info, paths));
            }
            commits.sort_by(|a, b| {
                a.0.committer
                    .time
                    .cmp(&b.0.committer.time)
                    .then_with(|| a.0.id.cmp(&b.0.id))
            });
            out.push((id, commits));
        }
        Ok(out)
    }

    /// Commits of `network` reachable from `new` but from none of `hide`, oldest first.
    pub fn commits_between(
        &self,
        network: &str,
        new: Oid,
        hide: &[Oid],
    ) -> Result<Vec<CommitInfo>> {
        let pool = self.open_pool(network)?;
        let mut walk = pool.revwalk()?;
        walk.push(new)?;
        for oid in hide {
            walk.hide(*oid)?;
        }
        let mut commits = Vec::new();
        for oid in walk {
            commits.push(commit_info(&pool.find_commit(oid?)?));
        }
        commits.sort_by(|a, b| {
            a.committer
                .time
                .cmp(&b.committer.time)
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(commits)
    }

    /// The commits reachable from `new` without passing through `known` (those and everything
    /// behind them are left out), oldest first.
    pub fn commits_until(
        &self,
        network: &str,
        new: Oid,
        known: &std::collections::HashSet<Oid>,
    ) -> Result<Vec<CommitInfo>> {
        let pool = self.open_pool(network)?;
        let mut seen = std::collections::HashSet::new();
        let mut todo = vec![new];
        let mut commits = Vec::new();
        while let Some(oid) = todo.pop() {
            if known.contains(&oid) || !seen.insert(oid) {
                continue;
            }
            let commit = pool.find_commit(oid)?;
            todo.extend(commit.parent_ids());
            commits.push(commit_info(&commit));
        }
        commits.sort_by(|a, b| {
            a.committer
                .time
                .cmp(&b.committer.time)
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(commits)
    }

    /// Whether `ancestor` is `descendant` or one of its ancestors.
    pub fn is_ancestor(&self, network: &str, ancestor: Oid, descendant: Oid) -> Result<bool> {
        let pool = self.open_pool(network)?;
        Ok(ancestor == descendant || pool.graph_descendant_of(descendant, ancestor)?)
    }

    /// Commits reachable from `rev` of the design.
    pub fn reachable(&self, id: &DesignId, rev: &str) -> Result<std::collections::HashSet<Oid>> {
        let repo = self.open_repo(id)?;
        let start = resolve(&repo, id, rev)?;
        let mut walk = repo.revwalk()?;
        walk.push(start)?;
        walk.map(|oid| oid.map_err(Error::from)).collect()
    }

    /// Paths a commit changed against its first parent (all paths for a root commit).
    pub fn changed_paths(&self, network: &str, commit: Oid) -> Result<Vec<String>> {
        let pool = self.open_pool(network)?;
        let commit = pool.find_commit(commit)?;
        paths_of(&pool, &commit)
    }

    /// The design at the root of a network (the member without a parent), if it still exists.
    pub fn network_root(&self, network: &str) -> Result<Option<DesignId>> {
        Ok(self
            .network(network)?
            .into_iter()
            .find(|(_, lineage)| lineage.parent.is_none())
            .map(|(id, _)| id))
    }

    /// Every network of the store, sorted.
    pub fn networks(&self) -> Result<Vec<String>> {
        let mut networks = std::collections::BTreeSet::new();
        for id in self.ids()? {
            if let Ok(lineage) = self.lineage(&id) {
                networks.insert(lineage.network);
            }
        }
        Ok(networks.into_iter().collect())
    }
}
