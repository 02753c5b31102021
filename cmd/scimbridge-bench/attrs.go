package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// The "attrs" scenario measures issue 15's custom attribute acceptance end
// to end over HTTP: 50,000 users provisioned over SCIM with Enterprise and
// custom-extension attributes, then attribute mapping changes that change
// every user's values (one user_updated event each), applied while
// clients read over SCIM and one client keeps writing.
// docs/performance.md, "Custom attribute mapping at 50,000 users".

type attrsConfig struct {
	users, clients int
	bin, database  string
	requestLog     bool
}

func runAttrs(c attrsConfig) error {
	b, stop, err := startServer(c.bin, c.database, c.requestLog)
	if err != nil {
		return err
	}
	defer stop()
	for _, a := range []string{
		`{"key":"cost_center","type":"string"}`, `{"key":"mobile","type":"string"}`,
		`{"key":"contractor","type":"boolean"}`, `{"key":"level","type":"number"}`,
	} {
		var out map[string]any
		if err := b.mgmtJSON("POST", "/api/v1/custom_attributes", []byte(a), 201, &out); err != nil {
			return err
		}
	}
	start := time.Now()
	ids := make([]string, c.users)
	err = parallel(c.users, c.clients, func(i int) error {
		id, err := b.createAttrUser(i)
		ids[i] = id
		return err
	})
	if err != nil {
		return err
	}
	fmt.Printf("create users: %d users with Enterprise and custom-extension attributes, %d clients, %.1fs\n", c.users, c.clients, time.Since(start).Seconds())

	// Two mapping sets; going from one to the other changes every user's
	// cost_center and mobile.
	const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	const ext = "urn:ietf:params:scim:schemas:extension:acmebench:2.0:User"
	sets := [][]map[string]string{
		{{"key": "cost_center", "source": ent + ":costCenter"}, {"key": "mobile", "source": `phoneNumbers[type eq "mobile"].value`},
			{"key": "contractor", "source": ext + ":isContractor"}, {"key": "level", "source": ext + ":level"}},
		{{"key": "cost_center", "source": ent + ":department"}, {"key": "mobile", "source": `phoneNumbers[type eq "work"].value`},
			{"key": "contractor", "source": ext + ":isContractor"}, {"key": "level", "source": ext + ":level"}},
	}
	// put sends the PUT and, when it answers 202 (the server finishes in
	// the background), polls GET until no user is pending; it returns
	// the time until every user was re-mapped and the PUT's own time.
	put := func(set []map[string]string) (total, request time.Duration, changed int, err error) {
		t := time.Now()
		var out struct {
			Changed int `json:"users_changed"`
			Pending int `json:"pending_users"`
		}
		status, resp, err := b.do("PUT", "/api/v1/directories/"+b.dir+"/attribute_mappings", mustJSON(map[string]any{"mappings": set}), b.key)
		if err != nil {
			return 0, 0, 0, err
		}
		request = time.Since(t)
		if status != 200 && status != 202 {
			return 0, 0, 0, fmt.Errorf("PUT attribute_mappings: %d %s", status, resp)
		}
		if err := json.Unmarshal(resp, &out); err != nil {
			return 0, 0, 0, err
		}
		for out.Pending > 0 {
			time.Sleep(200 * time.Millisecond)
			if err := b.mgmtJSON("GET", "/api/v1/directories/"+b.dir+"/attribute_mappings", nil, 200, &out); err != nil {
				return 0, 0, 0, err
			}
		}
		return time.Since(t), request, out.Changed, nil
	}
	// The first mapping (from nothing) outside the measured window.
	d, req, n, err := put(sets[0])
	if err != nil {
		return err
	}
	fmt.Printf("first mapping: every user re-mapped after %.2fs (the PUT answered after %.2fs, %d users changed by then)\n", d.Seconds(), req.Seconds(), n)

	control, err := b.readWindow(ids, c.clients, func() error { time.Sleep(10 * time.Second); return nil })
	if err != nil {
		return err
	}
	reportReads("SCIM GETs, control (no mapping change, 10 s)", control)

	// The measured window: the mappings flip twice; one client keeps
	// PATCHing users (an IdP's updates) meanwhile.
	var puts, reqs []time.Duration
	var putFrom, putTo time.Time
	var putCPU time.Duration
	var writes []timed
	var wstop atomic.Bool
	var wg sync.WaitGroup
	var werr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !wstop.Load(); i++ {
			id := ids[rand.IntN(len(ids))]
			body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"Title %d"}]}`, i)
			t := time.Now()
			st, resp, err := b.do("PATCH", "/scim/v2/"+b.dir+"/Users/"+id, []byte(body), b.token)
			if err == nil && st != 200 {
				err = fmt.Errorf("PATCH: %d %s", st, resp)
			}
			if err != nil {
				werr = err
				return
			}
			writes = append(writes, timed{t, time.Since(t)})
		}
	}()
	during, err := b.readWindow(ids, c.clients, func() error {
		time.Sleep(time.Second)
		cpu0 := b.cpu()
		putFrom = time.Now()
		for _, set := range [][]map[string]string{sets[1], sets[0]} {
			d, req, _, err := put(set)
			if err != nil {
				return err
			}
			puts, reqs = append(puts, d), append(reqs, req)
		}
		putTo = time.Now()
		putCPU = b.cpu() - cpu0
		time.Sleep(time.Second)
		return nil
	})
	wstop.Store(true)
	wg.Wait()
	if err != nil {
		return err
	}
	if werr != nil {
		return werr
	}
	for i := range puts {
		fmt.Printf("PUT attribute_mappings #%d (every user's values change: one user_updated each): all %d users re-mapped after %.2fs; the PUT answered after %.2fs\n",
			i+1, len(ids), puts[i].Seconds(), reqs[i].Seconds())
	}
	fmt.Printf("server CPU during the PUTs (PUTs, reads and writes): %.2fs over %.2fs\n", putCPU.Seconds(), putTo.Sub(putFrom).Seconds())
	var inside, winside []timed
	for _, r := range during {
		if !r.at.Before(putFrom) && r.at.Before(putTo) {
			inside = append(inside, r)
		}
	}
	for _, w := range writes {
		if !w.at.Before(putFrom) && w.at.Before(putTo) {
			winside = append(winside, w)
		}
	}
	reportReads("SCIM GETs started while PUTs ran", inside)
	reportReads("SCIM PATCHes (1 client) started while PUTs ran", winside)
	reportReads("SCIM GETs, whole window (1 s before/after)", during)

	var u struct {
		Custom map[string]any `json:"custom_attributes"`
	}
	if err := b.mgmtJSON("GET", "/api/v1/directories/"+b.dir+"/users/"+ids[7], nil, 200, &u); err != nil {
		return err
	}
	fmt.Printf("check: user %s custom_attributes %v\n", ids[7], u.Custom)
	fmt.Printf("server memory: %s\n", b.memory())
	return nil
}

// createAttrUser creates user i as Okta sends one with app profile
// attributes: Enterprise extension, phone numbers, a custom extension.
func (b *bench) createAttrUser(i int) (string, error) {
	body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","urn:ietf:params:scim:schemas:extension:acmebench:2.0:User"],`+
		`"userName":"User.%07d@Example.com","externalId":"00u%07d","name":{"givenName":"Given%d","familyName":"Family%d"},"displayName":"Given%d Family%d",`+
		`"emails":[{"primary":true,"value":"user.%07d@example.com","type":"work"}],"phoneNumbers":[{"value":"+1 555 %07d","type":"mobile"},{"value":"+1 666 %07d","type":"work"}],"active":true,`+
		`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"costCenter":"CC-%d","department":"Dept %d","employeeNumber":"%d"},`+
		`"urn:ietf:params:scim:schemas:extension:acmebench:2.0:User":{"isContractor":"%t","level":"%d"}}`,
		i, i, i, i, i, i, i, i, i, i%97, i%13, i, i%5 == 0, i%9)
	status, resp, err := b.do("POST", "/scim/v2/"+b.dir+"/Users", []byte(body), b.token)
	if err != nil {
		return "", err
	}
	if status != 201 {
		return "", fmt.Errorf("POST /Users: %d %s", status, resp)
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(resp, &out); err != nil || out.ID == "" {
		return "", fmt.Errorf("POST /Users: no id in %s", resp)
	}
	return out.ID, nil
}
